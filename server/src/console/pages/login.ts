/**
 * @module The login form, shown when AIRLOCK_AUTH_TOKEN is set: the token is posted once and
 * exchanged for an HttpOnly session cookie; it is never kept in the page or in script reach.
 */
import { html } from "hono/html";
import { page, type Fragment } from "./layout.ts";

export function loginPage(next: string, error?: string): Fragment {
  return page(
    { title: "Log in", section: "" },
    html`<form method="post" action="/login" class="login">
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
<input type="hidden" name="next" value="${next}">
<label>Access token (AIRLOCK_AUTH_TOKEN) <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Log in</button>
</form>`,
  );
}
