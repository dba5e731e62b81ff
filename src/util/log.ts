// Redis-style log lines: `pid:role dd Mon yyyy hh:mm:ss.mmm <level> message`.

const levels = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 } as const;
export type LogLevel = keyof typeof levels;
const marks: Record<LogLevel, string> = { debug: ".", verbose: "-", notice: "*", warning: "#", nothing: " " };
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

let threshold: number = levels.notice;
let role = "M";
let sink: (line: string) => void = (line) => process.stdout.write(line);

export function setLogLevel(level: string): void {
  if (level in levels) threshold = levels[level as LogLevel];
}

/** The thread tag in each line: M main, R raft worker, S storage worker. */
export function setLogRole(tag: string): void {
  role = tag;
}

export function setLogSink(write: (line: string) => void): void {
  sink = write;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

export function log(level: LogLevel, message: string): void {
  if (levels[level] < threshold) return;
  const d = new Date();
  const stamp = `${pad(d.getDate())} ${months[d.getMonth()]} ${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  sink(`${process.pid}:${role} ${stamp} ${marks[level]} ${message}\n`);
}
