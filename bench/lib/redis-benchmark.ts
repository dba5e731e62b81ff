// Runs redis-benchmark against a port and parses its CSV output.

export interface BenchResult {
  /** Test name as redis-benchmark prints it (SET, GET, "ZRANGE zset 0 9", ...). */
  readonly test: string;
  readonly rps: number;
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface BenchOptions {
  readonly port: number;
  /** `-t` tests (set,get,...); empty when `command` is given. */
  readonly tests?: readonly string[];
  /** A custom command instead of -t (e.g. ["ZRANGE", "z", "0", "9"]). */
  readonly command?: readonly string[];
  readonly clients: number;
  readonly pipeline: number;
  readonly requests: number;
  /** Key space for __rand_int__ (-r). */
  readonly keyspace?: number;
  readonly dataSize?: number;
}

export async function redisBenchmark(opts: BenchOptions): Promise<BenchResult[]> {
  const args = ["redis-benchmark", "-h", "127.0.0.1", "-p", String(opts.port), "-c", String(opts.clients), "-P", String(opts.pipeline), "-n", String(opts.requests), "--csv"];
  if (opts.keyspace !== undefined) args.push("-r", String(opts.keyspace));
  if (opts.dataSize !== undefined) args.push("-d", String(opts.dataSize));
  if (opts.command !== undefined) args.push(...opts.command);
  else if (opts.tests !== undefined) args.push("-t", opts.tests.join(","));
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  if (proc.exitCode !== 0) throw new Error(`redis-benchmark failed (${proc.exitCode}): ${err.trim()}`);
  const rows: BenchResult[] = [];
  for (const line of out.split("\n")) {
    const cells = parseCsvLine(line);
    if (cells.length < 7 || cells[0] === "test") continue;
    rows.push({ test: cells[0], rps: Number(cells[1]), avgMs: Number(cells[2]), p50Ms: Number(cells[4]), p99Ms: Number(cells[6]) });
  }
  if (rows.length === 0) throw new Error(`redis-benchmark printed no results: ${out.slice(0, 200)} ${err.slice(0, 200)}`);
  return rows;
}

function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  const re = /"((?:[^"]|"")*)"|([^,]+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) cells.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]);
  return cells;
}
