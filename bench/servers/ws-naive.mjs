/**
 * Peer: the naive `ws` chat server. It speaks just enough c2 for the load generator
 * (`c2/CONNECT <name>` → `c2/ACKNOWLEDGE`, `c2/MSG <text>` → `c2/MSG <name>; <text>` to every
 * client, sender included) and broadcasts the way most `ws` code does: a loop calling
 * `send` per client, which encodes and frames the message again for each one.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { runServer } from './common.mjs';

await runServer(async () => {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    let name = '';
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('c2/MSG ')) {
        const out = `c2/MSG ${name}; ${text.slice(7)}`;
        for (const client of wss.clients) client.send(out);
      } else if (text.startsWith('c2/CONNECT ')) {
        name = text.slice(11);
        ws.send('c2/ACKNOWLEDGE naive ws');
      }
    });
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { port: http.address().port };
});
