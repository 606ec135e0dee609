/** Local AWS endpoints on loopback: one HTTP server per service, named as the SDK's AWS_ENDPOINT_URL_<NAME>. */
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface LoopbackEndpoints {
  /** AWS_ENDPOINT_URL_<NAME> -> URL. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function serveOnLoopback(
  services: readonly [name: string, listener: RequestListener][],
): Promise<LoopbackEndpoints> {
  const servers: Server[] = [];
  const env: Record<string, string> = {};
  for (const [name, listener] of services) {
    const server = createServer(listener);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    servers.push(server);
    env[`AWS_ENDPOINT_URL_${name}`] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  return {
    env,
    stop: () =>
      Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.closeAllConnections();
              s.close(() => r());
            }),
        ),
      ).then(() => {}),
  };
}
