// Waiting on conditions with a bound: tests never sleep and hope.

export { waitFor } from "../../src/util/wait.ts";
