'use strict';

// The smallest possible web app: it answers every request with a short
// greeting on the port given by the PORT environment variable.
const http = require('http');

const port = Number(process.env.PORT || 5000);

const server = http.createServer((req, res) => {
  console.log(`${req.method} ${req.url}`);
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('Hello from Slipway! (slipway-hello)\n');
});

server.listen(port, '0.0.0.0', () => {
  console.log(`hello listening on port ${port}`);
});

process.on('SIGTERM', () => {
  console.log('SIGTERM received, shutting down');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
