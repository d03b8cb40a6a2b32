/** The package entry (Node): the c2 protocol codec, the chat server and the client library. */

export * from './client/index.js';
export { NodeC2Client, type NodePingOptions, NodeWebSocket, pingServer } from './client/node.js';
export * from './protocol/index.js';
export { type ChatServer, startChatServer } from './server/chat-server.js';
export type { ChatLimits, ChatServerOptions } from './server/options.js';
