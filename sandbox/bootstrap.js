// Runs inside the execution's own fresh Deno process, started before the code arrives: waits for
// the launcher's go signal on stdin (a pipe only the launcher holds), then imports the code the
// launcher has written to ./main.ts. Plain JavaScript so that nothing needs transpiling first.

// Behind the egress proxy ("proxied" from the launcher), fetch() of an https: URL without a body
// goes to the proxy over HTTP/2 only. The default client cannot know the proxy speaks HTTP/2
// until a connection is up, so a burst of parallel requests opened a tunnel and a TLS handshake
// each, and each cost the proxy milliseconds of CPU; an HTTP/2-only client waits for its one
// connection and sends them all on it (npm run bench:egress: 100 parallel requests ~3x faster).
// The proxy judges every request exactly as before. What the code sees stays the same:
// - a redirect is followed here, hop by hop, with the rules fetch() applies (an HTTP/2-only
//   client cannot follow one to plain http:, which goes on the default client);
// - requests with a body, to http: URLs, or with a client or init of the code's own are passed
//   to fetch() untouched (a body may have to be sent again on a redirect, which only fetch()
//   itself can do).
if (Deno.args[0] === "proxied") {
  const plainFetch = globalThis.fetch;
  const overHttp2 = Deno.createHttpClient({ http1: false, http2: true });
  const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
  const MAX_REDIRECTS = 20;
  // What fetch() drops on a hop to another origin.
  const SENSITIVE_ON_REDIRECT = ["authorization", "proxy-authorization", "cookie"];
  const isPlainInit = (init) => init === undefined || (init !== null && typeof init === "object" &&
    [Object.prototype, null].includes(Object.getPrototypeOf(init)) && init.client === undefined && init.body == null);

  /** GET or HEAD over HTTP/2. Redirects are followed here with the rules fetch() applies to each
   *  hop (at most 20; authorization, proxy-authorization and cookie dropped on a change of
   *  origin; GET and HEAD stay what they are and carry no body), each hop on the client that
   *  can carry it: HTTP/2 for https:, the default one for http:. */
  async function overHttp2Fetch(request) {
    if (request.redirect !== "follow") return plainFetch(request, { client: overHttp2 });
    let url = new URL(request.url);
    const headers = new Headers(request.headers);
    for (let hops = 0; ; hops++) {
      const response = hops === 0
        ? await plainFetch(request, { client: overHttp2, redirect: "manual" })
        : await plainFetch(url, {
          method: request.method, headers, signal: request.signal, redirect: "manual",
          ...(url.protocol === "https:" ? { client: overHttp2 } : {}),
        });
      const location = response.headers.get("location");
      if (!REDIRECT_STATUSES.has(response.status) || location === null) {
        if (hops > 0) Object.defineProperty(response, "redirected", { value: true });
        return response;
      }
      await response.body?.cancel();
      const to = new URL(location, url);
      if (to.hash === "") to.hash = url.hash;
      if (to.protocol !== "https:" && to.protocol !== "http:") {
        throw new TypeError("Fetch failed: Can not redirect to a non HTTP(s) url");
      }
      if (hops === MAX_REDIRECTS) throw new TypeError(`Fetch failed: Maximum number of redirects (${MAX_REDIRECTS}) reached`);
      if (to.origin !== url.origin) for (const name of SENSITIVE_ON_REDIRECT) headers.delete(name);
      url = to;
    }
  }

  globalThis.fetch = function fetch(input, init) {
    let request = null;
    if (input instanceof Request) {
      // Only a Request on its own: reading one into another would use up its body.
      if (init === undefined) request = input;
    } else if (isPlainInit(init)) {
      try {
        request = new Request(input, init);
      } catch {
        // fetch itself reports what is wrong with the call
      }
    }
    const bodiless = request !== null && (request.method === "GET" || request.method === "HEAD") && request.body === null;
    if (!bodiless || new URL(request.url).protocol !== "https:") return plainFetch(input, init);
    return overHttp2Fetch(request);
  };
}

const signal = new Uint8Array(3);
let received = 0;
while (received < signal.length) {
  const n = await Deno.stdin.read(signal.subarray(received));
  if (n === null) Deno.exit(0); // discarded before use
  received += n;
}
await import(new URL("./main.ts", `file://${Deno.cwd()}/`).href);
