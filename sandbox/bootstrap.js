// Runs inside the execution's own fresh Deno process, started before the code arrives: waits for
// the launcher's go signal on stdin (a pipe only the launcher holds), then imports the code the
// launcher has written to ./main.ts. Plain JavaScript so that nothing needs transpiling first.

// Behind the egress proxy ("proxied" from the launcher), fetch() of an https: URL without a body
// goes to the proxy over HTTP/2 only. The default client cannot know the proxy speaks HTTP/2
// until a connection is up, so a burst of parallel requests opened a tunnel and a TLS handshake
// each, and each cost the proxy milliseconds of CPU; an HTTP/2-only client waits for its one
// connection and sends them all on it (npm run bench:egress: 100 parallel requests ~3x faster).
// The proxy judges every request exactly as before. What the code sees stays the same:
// - a redirect is followed from its first hop on by the default client, with the rules fetch()
//   applies to a hop (an HTTP/2-only client cannot follow one to plain http:);
// - requests with a body, to http: URLs, or with a client or init of the code's own are passed
//   to fetch() untouched (a body may have to be sent again on a redirect, which only fetch()
//   itself can do).
if (Deno.args[0] === "proxied") {
  const plainFetch = globalThis.fetch;
  const overHttp2 = Deno.createHttpClient({ http1: false, http2: true });
  const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
  // What fetch() drops on a hop to plain http: or to a host that is not a subdomain.
  const SENSITIVE_ON_REDIRECT = ["authorization", "proxy-authorization", "cookie"];
  const isPlainInit = (init) => init === undefined || (init !== null && typeof init === "object" &&
    [Object.prototype, null].includes(Object.getPrototypeOf(init)) && init.client === undefined && init.body == null);
  const isSubdomain = (sub, domain) => sub.length > domain.length + 1 && sub.endsWith("." + domain);

  /** GET or HEAD over HTTP/2; a redirect is followed on by the default client. */
  async function overHttp2Fetch(request) {
    const mode = request.redirect;
    const first = await plainFetch(request, { client: overHttp2, redirect: mode === "follow" ? "manual" : mode });
    const location = first.headers.get("location");
    if (mode !== "follow" || !REDIRECT_STATUSES.has(first.status) || location === null) return first;
    await first.body?.cancel();
    const from = new URL(request.url);
    const to = new URL(location, from);
    if (to.hash === "") to.hash = from.hash;
    if (to.protocol !== "https:" && to.protocol !== "http:") {
      throw new TypeError("Fetch failed: Can not redirect to a non HTTP(s) url");
    }
    const headers = new Headers(request.headers);
    const downgrade = to.protocol !== from.protocol && to.protocol !== "https:";
    if (downgrade || (to.host !== from.host && !isSubdomain(to.host, from.host))) {
      for (const name of SENSITIVE_ON_REDIRECT) headers.delete(name);
    }
    // GET and HEAD stay what they are on every redirect status, and carry no body.
    const rest = await plainFetch(to, { method: request.method, headers, signal: request.signal, redirect: "follow" });
    Object.defineProperty(rest, "redirected", { value: true });
    return rest;
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
