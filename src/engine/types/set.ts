// Placeholder for the set type; the data-types issue gives it its real structure.

export class SetValue {
  readonly type = "set";
  get size(): number {
    return 0;
  }
  encoding(): string {
    return "set";
  }
}
