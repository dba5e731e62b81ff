// Disk faults on demand, for the chaos tool and its tests (`RAFT.DEBUG DISKCRASH <point>`).
//
// The storage worker wraps its FileSystem with `crashingFileSystem`. Unarmed it passes every call
// through (one null check per write). Armed, it kills the whole node with SIGKILL at a chosen
// point of a write, leaving on disk exactly what a crash there would leave:
//
//   torn-log        the next log batch is written only in part (two thirds of its bytes) and is
//                   never fsynced: a torn record at the tail, as after a crash mid-write. The
//                   batch was never acknowledged, so recovery may drop it.
//   torn-snapshot   the next snapshot file is written half-way (its .tmp): a crash while writing
//                   a snapshot.
//   after-snapshot  the next snapshot is renamed into place, then the node dies before the
//                   directory fsync and before the log is compacted: a crash around compaction.
//
// A process crash keeps the page cache, so "written but not fsynced" bytes survive it; the torn
// write is what makes the tail partial. It lives here, not in src/storage, because nothing but
// fault injection uses it.

import { basename } from "node:path";
import { parseSegmentName, parseSnapshotName, TMP_SUFFIX } from "../storage/codec.ts";
import type { FileSystem } from "../storage/fs.ts";

export const diskCrashPoints = ["torn-log", "torn-snapshot", "after-snapshot"] as const;
export type DiskCrashPoint = (typeof diskCrashPoints)[number];

export function isDiskCrashPoint(s: string): s is DiskCrashPoint {
  return (diskCrashPoints as readonly string[]).includes(s);
}

/** Where the next crash happens; null: never. Set by RAFT.DEBUG DISKCRASH through the worker. */
export class DiskCrashSwitch {
  armed: DiskCrashPoint | null = null;
}

/** The crash itself: SIGKILL to our own process (every thread dies at once, nothing is flushed). */
function killProcess(): never {
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable: the process was killed");
}

function hasNonZero(data: Uint8Array): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return true;
  return false;
}

function isSnapshotTmp(name: string): boolean {
  return name.endsWith(TMP_SUFFIX) && parseSnapshotName(name.slice(0, -TMP_SUFFIX.length)) !== null;
}

/** `base` with a crash at the point `sw` names, once armed. `crash` is replaceable for tests. */
export function crashingFileSystem(base: FileSystem, sw: DiskCrashSwitch, crash: () => never = killProcess): FileSystem {
  const names = new Map<number, string>();
  return {
    ...base,
    open(path, mode) {
      const fd = base.open(path, mode);
      names.set(fd, basename(path));
      return fd;
    },
    close(fd) {
      names.delete(fd);
      base.close(fd);
    },
    write(fd, data, position) {
      const point = sw.armed;
      if (point !== null && data.length > 0) {
        const name = names.get(fd) ?? "";
        // Preallocation writes zeros to segments: only a write of records is a log batch.
        const tornLog = point === "torn-log" && parseSegmentName(name) !== null && hasNonZero(data);
        const tornSnapshot = point === "torn-snapshot" && isSnapshotTmp(name);
        if (tornLog || tornSnapshot) {
          const keep = tornLog ? Math.floor((data.length * 2) / 3) : Math.floor(data.length / 2);
          if (keep > 0) base.write(fd, data.subarray(0, keep), position);
          crash();
        }
      }
      return base.write(fd, data, position);
    },
    rename(from, to) {
      base.rename(from, to);
      if (sw.armed === "after-snapshot" && parseSnapshotName(basename(to)) !== null) crash();
    },
  };
}
