// Bus addresses as peers announce them: `host:port`, with IPv6 hosts in brackets (`[::1]:16379`).

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port`; null when it is not one (the address came from another node). */
export function parseHostPort(addr: string): HostPort | null {
  const colon = addr.lastIndexOf(":");
  if (colon <= 0) return null;
  let host = addr.slice(0, colon);
  const portText = addr.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port < 1 || port > 65535) return null;
  if (host.startsWith("[")) {
    if (!host.endsWith("]") || host.length < 3) return null;
    host = host.slice(1, -1);
  } else if (host.includes(":")) {
    return null;
  }
  return { host, port };
}
