// Placeholder for the hash type; the data-types issue gives it its real structure.

export class HashValue {
  readonly type = "hash";
  get size(): number {
    return 0;
  }
  encoding(): string {
    return "hash";
  }
}
