/**
 * @module A real headless Chromium for the console tests: Debian's package, driven by
 * playwright-core (no browser download exists or is needed here). The flags keep it from
 * calling out to the internet, which this network refuses.
 */
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.AIRLOCK_CHROMIUM ?? "/usr/bin/chromium";

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Root (as in CI) needs --no-sandbox; Chromium's own sandbox is not what is under test.
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}
