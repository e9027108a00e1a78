/**
 * @module What a browser shows behind its own sign-in prompt (the 401 that asks for the token),
 * and after a wrong one: how to get in. The token is never part of any page.
 */
import { html } from "hono/html";
import { page, type Fragment } from "./layout.ts";

export function signInPage(why: "missing" | "wrong" | "throttled"): Fragment {
  return page(
    { title: "Sign in", section: "" },
    html`${why === "wrong" ? html`<p class="error" role="alert">That is not the console's token.</p>` : ""}
${why === "throttled" ? html`<p class="error" role="alert">Too many wrong tokens in the last minute: wait a moment, then reload.</p>` : ""}
<p>This console needs its access token (<code>AIRLOCK_CONSOLE_TOKEN</code>, or <code>AIRLOCK_AUTH_TOKEN</code> when that is not set). Your browser asks for it:
enter any user name, and the token as the password. Reload the page to be asked again.</p>
<p class="note">The browser keeps it for this address alone and sends it nowhere else. Scripts send
<code>Authorization: Bearer &lt;token&gt;</code> instead.</p>`,
  );
}
