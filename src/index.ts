/** The package entry: the c2 protocol codec and the chat server. */
export * from './protocol/index.js';
export { type ChatServer, startChatServer } from './server/chat-server.js';
export type { ChatLimits, ChatServerOptions } from './server/options.js';
