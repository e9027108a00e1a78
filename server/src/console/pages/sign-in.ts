/**
 * @module What a browser shows behind its own sign-in prompt (the 401 that asks for the token),
 * and after a wrong one: how to get in. The token is never part of any page.
 */
import { html } from "hono/html";
import { page, type Fragment } from "./layout.ts";

export function signInPage(wrong: boolean): Fragment {
  return page(
    { title: "Sign in", section: "" },
    html`${wrong ? html`<p class="error" role="alert">That is not the gateway's token.</p>` : ""}
<p>This console needs the gateway's access token (<code>AIRLOCK_AUTH_TOKEN</code>). Your browser asks for it:
enter any user name, and the token as the password. Reload the page to be asked again.</p>
<p class="note">The browser keeps it for this address alone and sends it nowhere else. Scripts send
<code>Authorization: Bearer &lt;token&gt;</code> instead.</p>`,
  );
}
