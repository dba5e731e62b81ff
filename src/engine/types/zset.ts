// Placeholder for the zset type; the data-types issue gives it its real structure.

export class ZSetValue {
  readonly type = "zset";
  get size(): number {
    return 0;
  }
  encoding(): string {
    return "zset";
  }
}
