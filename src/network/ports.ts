/**
 * Published ports: `-p [IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp]` (ranges allowed) parsed
 * into docker's HostConfig.PortBindings, and the bindings a running container holds,
 * printed as docker prints them (`0.0.0.0:8080->80/tcp`).
 */
import { invalidArgument } from '../errdefs/index.ts';
import { parseIPv4 } from './ipv4.ts';

/** docker's PortBinding: HostPort '' is an ephemeral port; `8000-8010` any free one of those. */
export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** docker's HostConfig.PortBindings: `80/tcp` → bindings. */
export type PortBindings = Record<string, PortBinding[]>;

/** A binding as the host holds it while the container runs. */
export interface HeldPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

function parseRange(text: string, spec: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  const lo = m === null ? NaN : Number(m[1]);
  const hi = m === null ? NaN : m[2] === undefined ? lo : Number(m[2]);
  if (!(lo >= 1 && hi <= 65535 && lo <= hi)) throw invalidArgument(`invalid -p ${spec}: invalid port range "${text}" (ports are 1-65535)`);
  return [lo, hi];
}

/**
 * Adds one `-p` value to `into`.
 * @throws invalid-argument naming the value and what is wrong.
 */
export function parsePublish(spec: string, into: PortBindings): void {
  let rest = spec;
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (protocol !== 'tcp' && protocol !== 'udp') throw invalidArgument(`invalid -p ${spec}: invalid proto "${protocol}" (strata publishes tcp and udp)`);
  }
  let hostIp = '';
  let hostPart = '';
  const parts = rest.split(':');
  if (parts.length > 3) throw invalidArgument(`invalid -p ${spec}: expected [IP:][HOST_PORT:]CONTAINER_PORT (an IPv6 host address is not supported)`);
  const containerPart = parts[parts.length - 1]!;
  if (parts.length === 3) [hostIp, hostPart] = [parts[0]!, parts[1]!];
  else if (parts.length === 2) hostPart = parts[0]!;
  if (hostIp !== '' && parseIPv4(hostIp) === undefined) throw invalidArgument(`invalid -p ${spec}: invalid IP address "${hostIp}"`);
  if (containerPart === '') throw invalidArgument(`invalid -p ${spec}: no port specified: ${spec}<empty>`);
  const [cLo, cHi] = parseRange(containerPart, spec);
  let hLo = 0;
  let hHi = 0;
  if (hostPart !== '') [hLo, hHi] = parseRange(hostPart, spec);
  const count = cHi - cLo + 1;
  if (hostPart !== '' && count > 1 && hHi - hLo + 1 !== count) {
    throw invalidArgument(`invalid -p ${spec}: invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
  }
  for (let i = 0; i < count; i++) {
    let hostPort = '';
    if (hostPart !== '') hostPort = count > 1 ? String(hLo + i) : hLo === hHi ? String(hLo) : `${hLo}-${hHi}`;
    const key = `${cLo + i}/${protocol}`;
    (into[key] ??= []).push({ HostIp: hostIp, HostPort: hostPort });
  }
}

/** `-P`: every EXPOSEd port (`80/tcp`, `53/udp`, `8080`) to an ephemeral host port, unless `-p` binds it. */
export function publishAll(exposed: string[], into: PortBindings): void {
  for (const port of exposed) {
    const key = port.includes('/') ? port : `${port}/tcp`;
    if (!/^\d{1,5}\/(tcp|udp)$/.test(key)) continue;
    into[key] ??= [{ HostIp: '', HostPort: '' }];
  }
}

/** docker's ps PORTS: `0.0.0.0:8080->80/tcp`, ranges folded (`0.0.0.0:8000-8001->80-81/tcp`). */
export function formatPorts(held: HeldPort[]): string {
  const sorted = [...held].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.hostIp.localeCompare(b.hostIp) || a.containerPort - b.containerPort);
  const out: string[] = [];
  let run: HeldPort[] = [];
  const flush = (): void => {
    if (run.length === 0) return;
    const first = run[0]!;
    const last = run[run.length - 1]!;
    const ip = first.hostIp === '' ? '0.0.0.0' : first.hostIp;
    const host = run.length > 1 ? `${first.hostPort}-${last.hostPort}` : String(first.hostPort);
    const ctr = run.length > 1 ? `${first.containerPort}-${last.containerPort}` : String(first.containerPort);
    out.push(`${ip}:${host}->${ctr}/${first.protocol}`);
    run = [];
  };
  for (const p of sorted) {
    const prev = run[run.length - 1];
    if (prev !== undefined && !(prev.protocol === p.protocol && prev.hostIp === p.hostIp && p.containerPort === prev.containerPort + 1 && p.hostPort === prev.hostPort + 1)) flush();
    run.push(p);
  }
  flush();
  return out.join(', ');
}
