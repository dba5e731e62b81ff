// A FileSystem that forwards to node:fs and injects faults on demand: a disk that fills up
// (ENOSPC after `spaceLeft` more bytes, with a short write first, as a real disk does), failing
// fsyncs, and a simulated crash (an exception before a chosen operation, after which the test
// abandons the storage object and reopens the directory with the real file system).

import { type FileSystem, nodeFileSystem, type OpenMode } from "../../src/storage/fs.ts";

export class CrashError extends Error {
  override name = "CrashError";
}

export type FaultOp = "open" | "write" | "truncate" | "sync" | "rename" | "unlink" | "syncDir";

function ioError(code: string, op: string, path: string): Error {
  return Object.assign(new Error(`${code}: injected fault, ${op} '${path}'`), { code, syscall: op, path });
}

export class FaultFileSystem implements FileSystem {
  /** Bytes the disk still accepts; writes beyond fail with ENOSPC. */
  spaceLeft = Number.POSITIVE_INFINITY;
  /** When set, every fsync/fdatasync fails with this code. */
  failSyncWith: string | null = null;
  /** Throws CrashError before the first operation this returns true for. */
  crashBefore: ((op: FaultOp, path: string) => boolean) | null = null;
  /** Calls seen, to check group commit (one write and one fsync per flush). */
  writes = 0;
  syncs = 0;
  readonly #paths = new Map<number, string>();

  #check(op: FaultOp, path: string): void {
    if (this.crashBefore?.(op, path)) {
      this.crashBefore = null;
      throw new CrashError(`simulated crash before ${op} '${path}'`);
    }
  }

  mkdirp(path: string): void {
    nodeFileSystem.mkdirp(path);
  }
  readdir(path: string): string[] {
    return nodeFileSystem.readdir(path);
  }
  readFile(path: string): Uint8Array {
    return nodeFileSystem.readFile(path);
  }
  open(path: string, mode: OpenMode): number {
    this.#check("open", path);
    const fd = nodeFileSystem.open(path, mode);
    this.#paths.set(fd, path);
    return fd;
  }
  read(fd: number, into: Uint8Array, position: number): number {
    return nodeFileSystem.read(fd, into, position);
  }
  write(fd: number, data: Uint8Array, position: number): number {
    const path = this.#paths.get(fd) ?? String(fd);
    this.#check("write", path);
    this.writes++;
    if (this.spaceLeft <= 0 && data.length > 0) throw ioError("ENOSPC", "write", path);
    const n = Math.min(data.length, this.spaceLeft);
    this.spaceLeft -= n;
    return nodeFileSystem.write(fd, n === data.length ? data : data.subarray(0, n), position);
  }
  truncate(fd: number, length: number): void {
    this.#check("truncate", this.#paths.get(fd) ?? String(fd));
    nodeFileSystem.truncate(fd, length);
  }
  size(fd: number): number {
    return nodeFileSystem.size(fd);
  }
  sync(fd: number): void {
    this.#sync(fd);
    nodeFileSystem.sync(fd);
  }
  dataSync(fd: number): void {
    this.#sync(fd);
    nodeFileSystem.dataSync(fd);
  }
  #sync(fd: number): void {
    const path = this.#paths.get(fd) ?? String(fd);
    this.#check("sync", path);
    this.syncs++;
    if (this.failSyncWith !== null) throw ioError(this.failSyncWith, "fsync", path);
  }
  close(fd: number): void {
    this.#paths.delete(fd);
    nodeFileSystem.close(fd);
  }
  rename(from: string, to: string): void {
    this.#check("rename", from);
    nodeFileSystem.rename(from, to);
  }
  unlink(path: string): void {
    this.#check("unlink", path);
    nodeFileSystem.unlink(path);
  }
  syncDir(path: string): void {
    this.#check("syncDir", path);
    if (this.failSyncWith !== null) throw ioError(this.failSyncWith, "fsync", path);
    nodeFileSystem.syncDir(path);
  }
}
