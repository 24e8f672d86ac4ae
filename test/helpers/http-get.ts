import http from 'node:http';

/** GET http://127.0.0.1:<port><path> on a fresh connection: the body of a 200, else a rejection. */
export function getOk(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: ${res.statusCode} ${body}`))));
    }).on('error', reject);
  });
}
