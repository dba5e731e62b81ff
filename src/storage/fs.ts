// The narrow file-system interface storage uses, so tests can inject faults (ENOSPC, failing
// fsync, a crash at a chosen step). Synchronous: only the storage worker calls it.

import * as fs from "node:fs";

export type OpenMode =
  /** Read only. */
  | "read"
  /** Read and write an existing file. */
  | "update"
  /** Create a new file for reading and writing; fails if it exists. */
  | "create"
  /** Create or truncate, write only. */
  | "replace";

export interface FileSystem {
  mkdirp(path: string): void;
  /** File names (not paths) in a directory. */
  readdir(path: string): string[];
  readFile(path: string): Uint8Array;
  open(path: string, mode: OpenMode): number;
  /** Reads into `into` from `position`; returns the bytes read (0 at the end of the file). */
  read(fd: number, into: Uint8Array, position: number): number;
  /** Writes at `position`; returns the bytes written (may be fewer than asked). */
  write(fd: number, data: Uint8Array, position: number): number;
  truncate(fd: number, length: number): void;
  size(fd: number): number;
  /** fsync: data and metadata. */
  sync(fd: number): void;
  /** fdatasync: data and the metadata needed to read it (size), not timestamps. */
  dataSync(fd: number): void;
  close(fd: number): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** fsync of a directory, making created, renamed and removed names durable. */
  syncDir(path: string): void;
}

const flags: Record<OpenMode, string> = { read: "r", update: "r+", create: "wx+", replace: "w" };

export const nodeFileSystem: FileSystem = {
  mkdirp: (path) => void fs.mkdirSync(path, { recursive: true }),
  readdir: (path) => fs.readdirSync(path),
  readFile: (path) => fs.readFileSync(path),
  open: (path, mode) => fs.openSync(path, flags[mode]),
  read: (fd, into, position) => fs.readSync(fd, into, 0, into.length, position),
  write: (fd, data, position) => fs.writeSync(fd, data, 0, data.length, position),
  truncate: (fd, length) => fs.ftruncateSync(fd, length),
  size: (fd) => fs.fstatSync(fd).size,
  sync: (fd) => fs.fsyncSync(fd),
  dataSync: (fd) => fs.fdatasyncSync(fd),
  close: (fd) => fs.closeSync(fd),
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (path) => fs.unlinkSync(path),
  syncDir: (path) => {
    const fd = fs.openSync(path, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};

/** Writes all of `data` at `position`, looping over short writes. */
export function writeFully(fsys: FileSystem, fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) {
    const n = fsys.write(fd, done === 0 ? data : data.subarray(done), position + done);
    if (n <= 0) throw new Error(`short write: ${n} bytes at ${position + done}`);
    done += n;
  }
}
