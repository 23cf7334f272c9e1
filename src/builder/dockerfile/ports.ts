/**
 * EXPOSE values as BuildKit reads them after expansion: `80`, `80/udp`, `8000-8010/tcp`, and the
 * tolerated (linted) `ip:host:container` forms, each expanded into `port/proto` keys for the
 * image config's ExposedPorts.
 */
import { isIP } from 'node:net';
import { quoteString } from '@strata/go-template';
import { DetailError } from './errors.ts';

/** Expands EXPOSE arguments into `port/proto` keys in order, with BuildKit's errors. */
export function parseExposedPorts(ports: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of ports) out.push(...parsePort(p));
  return out;
}

function parsePort(raw: string): string[] {
  const [ip0, hostPort, containerPort0] = splitParts(raw);
  let ip = ip0;
  const slash = containerPort0.indexOf('/');
  const containerPort = slash < 0 ? containerPort0 : containerPort0.slice(0, slash);
  let proto = slash < 0 ? '' : containerPort0.slice(slash + 1);
  if (containerPort === '') throw new DetailError(`invalid port: ${quoteString(raw)}: no port specified`);
  switch (proto.toLowerCase()) {
    case '':
      proto = 'tcp';
      break;
    case 'tcp':
    case 'udp':
    case 'sctp':
      break;
    default:
      throw new DetailError(`invalid port: ${quoteString(raw)}: invalid proto: ${proto}`);
  }
  if (ip !== '' && ip.startsWith('[')) {
    const m = /^\[([^\]]*)\]$/.exec(ip);
    if (m === null) throw new DetailError(`invalid IP address ${ip}: address ${ip}:: missing port in address`);
    ip = m[1] ?? '';
  }
  if (ip !== '' && isIP(ip) === 0) throw new DetailError(`invalid IP address: ${ip}`);
  const range = portRange(containerPort);
  if (range === undefined) throw new DetailError(`invalid containerPort: ${containerPort}`);
  const [start, end] = range;
  if (hostPort !== '') {
    const host = portRange(hostPort);
    if (host === undefined) throw new DetailError(`invalid hostPort: ${hostPort}`);
    if (end - start !== host[1] - host[0] && end !== start) {
      throw new DetailError(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
  }
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto.toLowerCase()}`);
  return out;
}

function portRange(ports: string): [number, number] | undefined {
  if (ports === '') return undefined;
  const dash = ports.indexOf('-');
  const start = portNumber(dash < 0 ? ports : ports.slice(0, dash));
  if (start === undefined) return undefined;
  if (dash < 0) return [start, start];
  const startText = ports.slice(0, dash);
  const endText = ports.slice(dash + 1);
  if (startText === endText) return [start, start];
  const end = portNumber(endText);
  if (end === undefined || end < start) return undefined;
  return [start, end];
}

function portNumber(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n < 0 || n > 65535 ? undefined : n;
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  if (n === 1) return ['', '', parts[0] ?? ''];
  if (n === 2) return ['', parts[0] ?? '', parts[1] ?? ''];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2] ?? '', parts[n - 1] ?? ''];
}
