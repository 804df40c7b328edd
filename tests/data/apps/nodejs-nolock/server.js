'use strict';

const http = require('http');

const port = Number(process.env.PORT || 5000);

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`Hello from slipway-nodejs-nolock (NODE_ENV=${process.env.NODE_ENV || 'unset'})\n`);
});

server.listen(port, '0.0.0.0', () => {
  console.log(`slipway-nodejs-nolock listening on port ${port}`);
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
