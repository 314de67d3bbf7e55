// Preload for third-party Node servers that listen on every interface when given only a
// port (server-everything has no host option): `node --require ./loopback-only.cjs ...`.
// Any listen() without an explicit host is pinned to 127.0.0.1, so tests never open a port
// on an external interface. Paths (Unix sockets) and handles pass through untouched.
'use strict';
const net = require('net');

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (first && typeof first === 'object' && !first._handle && first.path === undefined &&
             first.fd === undefined && first.host === undefined) {
    args[0] = Object.assign({}, first, { host: '127.0.0.1' });
  } else if (first === undefined || typeof first === 'function') {
    args.unshift(0, '127.0.0.1');
  }
  return listen.apply(this, args);
};
