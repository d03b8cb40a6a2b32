// A chat server in a process of its own, with options the command line does not offer
// (limits raised for load tests): `node server-child.mjs '<ChatServerOptions as JSON>'`.
// Prints "READY <port>" when listening; exits 0 after SIGTERM or SIGINT. Runs dist/.
import { startChatServer } from '../../dist/server/chat-server.js';

const server = await startChatServer(JSON.parse(process.argv[2] ?? '{}'));
process.stdout.write(`READY ${server.port}\n`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent holds our standard input: when it goes away, however it died, so do we.
process.stdin.on('close', stop);
process.stdin.resume();
