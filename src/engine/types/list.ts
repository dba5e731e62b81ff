// Placeholder for the list type; the data-types issue gives it its real structure.

export class ListValue {
  readonly type = "list";
  get size(): number {
    return 0;
  }
  encoding(): string {
    return "list";
  }
}
