// A message channel between two threads over one SPSC ring. Messages that fit in a ring record
// are written in place (zero copy); bigger ones (a 512 MB SET, a snapshot) are cut into
// fragments and reassembled on the other side, so the order of messages is the order of sends
// whatever their size. When the ring is full, messages wait in a backlog: `backlogged` is the
// backpressure signal (the main thread stops reading client sockets while it is set).

import { channelBacklogMaxBytes } from "../constants.ts";
import type { RingConsumer } from "../ring/consumer.ts";
import type { RingProducer } from "../ring/producer.ts";
import { assert } from "../util/assert.ts";

const frameWhole = 0;
const frameFirst = 1;
const frameMiddle = 2;
const frameLast = 3;

export class ChannelClosedError extends Error {
  override name = "ChannelClosedError";
}

export class ChannelSender {
  readonly #ring: RingProducer;
  /** Frames (flag byte included) waiting for ring space, oldest first. */
  readonly #backlog: Uint8Array[] = [];
  #backlogBytes = 0;
  #pumping = false;
  #closed = false;
  #backlogEvents = 0;
  /** A wake-up of the consumer is scheduled for the end of this turn (deferred wakes). */
  #wakeScheduled = false;
  /** Called when a backlog has fully drained into the ring. */
  onDrained: (() => void) | null = null;
  /** Called if the ring closes with messages still waiting (the other thread is gone). */
  onClosed: ((error: Error) => void) | null = null;

  constructor(ring: RingProducer) {
    this.#ring = ring;
  }

  /** Messages are waiting for ring space: the sender should stop producing more. */
  get backlogged(): boolean {
    return this.#backlog.length > 0;
  }

  get backlogBytes(): number {
    return this.#backlogBytes;
  }

  /** Times a message found the ring full (or a backlog ahead of it): backpressure events. */
  get backlogEvents(): number {
    return this.#backlogEvents;
  }

  /**
   * Sends a message of `length` bytes that `fill` writes. Never blocks: when the ring has no
   * room the message joins the backlog.
   */
  send(length: number, fill: (view: Uint8Array) => void): void {
    if (this.#closed) throw new ChannelClosedError("Cannot send: the channel is closed");
    const max = this.#ring.maxRecordBytes - 1;
    if (this.#backlog.length === 0 && length <= max) {
      const view = this.#ring.reserve(length + 1);
      if (view !== null) {
        view[0] = frameWhole;
        fill(view.subarray(1, 1 + length));
        this.#ring.commit(length + 1);
        this.#scheduleWake();
        return;
      }
    }
    const message = new Uint8Array(length);
    fill(message);
    if (this.#backlog.length === 0) this.#backlogEvents++;
    this.#enqueue(message, max);
    this.#pump();
  }

  sendBytes(bytes: Uint8Array): void {
    this.send(bytes.length, (view) => view.set(bytes));
  }

  #enqueue(message: Uint8Array, max: number): void {
    assert(this.#backlogBytes + message.length <= channelBacklogMaxBytes, "channel backlog within its limit");
    if (message.length <= max) {
      this.#push(frameWhole, message);
      return;
    }
    for (let at = 0; at < message.length; at += max) {
      const end = Math.min(at + max, message.length);
      const flag = at === 0 ? frameFirst : end === message.length ? frameLast : frameMiddle;
      this.#push(flag, message.subarray(at, end));
    }
  }

  #push(flag: number, body: Uint8Array): void {
    const frame = new Uint8Array(body.length + 1);
    frame[0] = flag;
    frame.set(body, 1);
    this.#backlog.push(frame);
    this.#backlogBytes += frame.length;
  }

  /** Moves backlog frames into the ring, waiting for space when it is full. */
  #pump(): void {
    if (this.#pumping) return;
    while (this.#backlog.length > 0) {
      const frame = this.#backlog[0];
      if (!this.#ring.tryWrite(frame)) {
        this.#pumping = true;
        this.#ring.waitForSpace(frame.length).then(
          () => {
            this.#pumping = false;
            this.#pump();
          },
          (error: Error) => {
            this.#pumping = false;
            this.#closed = true;
            this.onClosed?.(error);
          },
        );
        return;
      }
      this.#backlog.shift();
      this.#backlogBytes -= frame.length;
      this.#scheduleWake();
    }
    this.onDrained?.();
  }

  /**
   * With a deferWake ring, wakes the consumer once at the end of this event-loop turn, after
   * every message of the turn is in (one futex call per turn, not per message).
   */
  #scheduleWake(): void {
    if (this.#wakeScheduled) return;
    this.#wakeScheduled = true;
    setImmediate(() => {
      this.#wakeScheduled = false;
      this.#ring.wake();
    });
  }

  close(): void {
    this.#closed = true;
    this.#ring.close();
  }
}

export class ChannelReceiver {
  readonly #ring: RingConsumer;
  /** Fragments of a message being reassembled. */
  #parts: Uint8Array[] | null = null;
  #partBytes = 0;

  constructor(ring: RingConsumer) {
    this.#ring = ring;
  }

  get ring(): RingConsumer {
    return this.#ring;
  }

  hasData(): boolean {
    return this.#ring.hasData();
  }

  waitForData(timeoutMs?: number): Promise<boolean> {
    return this.#ring.waitForData(timeoutMs);
  }

  /**
   * Hands every complete message available to `handler`, in order. A message that fitted one
   * record is a view into the ring, valid only during the call; copy what must outlive it.
   */
  drain(handler: (message: Uint8Array) => void, maxRecords?: number): number {
    let messages = 0;
    this.#ring.drain((view) => {
      const flag = view[0];
      const body = view.subarray(1);
      if (flag === frameWhole) {
        assert(this.#parts === null, "a whole message does not interrupt a fragmented one");
        messages++;
        handler(body);
        return;
      }
      if (flag === frameFirst) {
        assert(this.#parts === null, "a first fragment starts a new message");
        this.#parts = [];
        this.#partBytes = 0;
      }
      const parts = this.#parts;
      assert(parts !== null, "fragment belongs to a message");
      parts.push(body.slice());
      this.#partBytes += body.length;
      if (flag === frameLast) {
        const whole = new Uint8Array(this.#partBytes);
        let at = 0;
        for (const p of parts) {
          whole.set(p, at);
          at += p.length;
        }
        this.#parts = null;
        this.#partBytes = 0;
        messages++;
        handler(whole);
      }
    }, maxRecords);
    return messages;
  }
}
