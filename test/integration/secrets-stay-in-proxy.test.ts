import { describe, expect, inject, it } from "vitest";
import { compose, execIn, TEST_SECRETS } from "../helpers/stack.ts";

const stack = inject("stack");
const secrets = Object.values(TEST_SECRETS);

describe("real secret values live only in the proxy", { timeout: 120_000 }, () => {
  it.each(["sandbox", "server", "docker-filter"])("should find no secret in the %s container's environment or files", async (service) => {
    // As root inside the container, so nothing is hidden by permissions.
    const pattern = secrets.join("\n");
    const search = await execIn(stack, service, [
      "sh", "-c",
      `cat /proc/1/environ | tr '\\0' '\\n'; env; printf '%s\\n' "${pattern.replace(/\n/g, "\\n")}" > /tmp/.needles; ` +
        "grep -rlF -f /tmp/.needles / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null | grep -v '^/tmp/.needles$'; rm -f /tmp/.needles; true",
    ], "0");
    for (const secret of secrets) expect(search.stdout).not.toContain(secret);
    expect(search.stdout).not.toMatch(/^\//m);
  });

  it("should find the secrets where they belong, proving the search can find them", async () => {
    const search = await execIn(stack, "proxy", ["sh", "-c", "cat /proc/1/environ | tr '\\0' '\\n'; cat /run/secrets/airlock/fake_file_token"]);
    expect(search.stdout).toContain(TEST_SECRETS.FAKE_API_TOKEN);
    expect(search.stdout).toContain(TEST_SECRETS.FAKE_FILE_TOKEN);
  });

  it("should never write a secret to any log", async () => {
    const logs = await compose(stack, ["logs", "--no-log-prefix", "server", "proxy", "docker-filter", "sandbox"]);
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
