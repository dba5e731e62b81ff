// Run before the test suite (`bun run test`): the differential tests use the real
// redis-server as their oracle and redis-cli/redis-benchmark as real clients. Installs them
// from Debian's packages when missing, or stops with a clear message.

const needed = ["redis-server", "redis-cli", "redis-benchmark"];
const missing = needed.filter((t) => Bun.which(t) === null);
if (missing.length > 0) {
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : Bun.which("sudo") !== null ? ["sudo"] : null;
  if (sudo === null || Bun.which("apt-get") === null) {
    console.error(`The tests need ${missing.join(", ")}. Install redis-server and redis-tools (Debian/Ubuntu: apt-get install redis-server redis-tools).`);
    process.exit(1);
  }
  console.log(`Installing redis-server and redis-tools (missing: ${missing.join(", ")})...`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => Bun.spawnSync([...sudo, "apt-get", "install", "-y", "-q", "redis-server", "redis-tools"], { env, stdout: "inherit", stderr: "inherit" });
  if (install().exitCode !== 0) {
    Bun.spawnSync([...sudo, "apt-get", "update", "-q"], { env, stdout: "inherit", stderr: "inherit" });
    if (install().exitCode !== 0) {
      console.error("Could not install redis-server/redis-tools with apt-get.");
      process.exit(1);
    }
  }
  // Debian starts a redis-server service on install; the tests start their own.
  Bun.spawnSync([...sudo, "service", "redis-server", "stop"], { stdout: "ignore", stderr: "ignore" });
}
