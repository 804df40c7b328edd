'use strict';

const http = require('http');
const ms = require('ms');

const port = Number(process.env.PORT || 5000);
const started = Date.now();

const server = http.createServer((req, res) => {
  if (req.url !== '/' && req.url !== '') {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
    return;
  }
  const uptime = ms(Date.now() - started, { long: true });
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`Hello from slipway-nodejs (up for ${uptime})\n`);
});

server.listen(port, '0.0.0.0', () => {
  console.log(`slipway-nodejs listening on port ${port}`);
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
