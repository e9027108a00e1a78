/**
 * @module A minimal HTTP request to the real Docker socket, used by the filter for its own
 * look-ups (which container is the sandbox). Never reachable from the filter's clients.
 */
import http from "node:http";

export interface DockerResponse {
  status: number;
  body: string;
}

export function dockerRequest(socketPath: string, method: string, path: string, timeoutMs = 5000): Promise<DockerResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers: { Host: "docker" }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`docker ${method} ${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}
