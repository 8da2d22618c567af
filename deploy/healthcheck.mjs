// The image's HEALTHCHECK: is this server ready (GET /health/ready on its own port)? It asks over
// HTTPS when the server speaks TLS (its own certificate, so no CA check on this loopback call),
// and over plain HTTP otherwise. Exit 0: ready; 1: not.
import { request as http } from 'node:http';
import { request as https } from 'node:https';

const port = Number(process.env.CLINIC_PORT || 4780);
const ask = (get, extra) =>
  new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/health/ready', timeout: 4000, ...extra }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
process.exit((await ask(https, { rejectUnauthorized: false })) || (await ask(http, {})) ? 0 : 1);
