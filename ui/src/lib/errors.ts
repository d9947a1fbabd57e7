// The engine reports network errors with their whole cause chain ("error sending request for url
// (…): client error (Connect): tcp connect error: Connection refused (os error 111)"): right
// for a log, too much for a state line. `shortReason` says the same in a few words; the full
// text stays available (a tooltip, an expandable line).

const RULES: readonly [RegExp, string][] = [
  [/connection refused/i, 'connection refused'],
  [/dns error|failed to lookup address|name or service not known|no address associated|nodename nor servname/i, 'host not found'],
  [/network is unreachable|no route to host|host is unreachable/i, 'network unreachable'],
  [/connection reset/i, 'connection reset by the server'],
  [/broken pipe/i, 'connection broken'],
  [
    /end of file before message completed|connection closed before message completed|unexpected eof|unexpectedeof|incompletemessage|peer closed connection/i,
    'the server closed the connection',
  ],
  [/certificate|tls handshake|handshake failure|invalid peer|unknownissuer/i, 'TLS certificate or handshake failed'],
  [/(operation )?timed out|deadline has elapsed/i, 'timed out'],
  [/too many redirects|redirect loop/i, 'too many redirects'],
];

/** At most this many characters are shown of a reason no rule knows. */
const MAX_CHARS = 80;

/**
 * A short, human reason for an engine error message. Messages the engine already writes for
 * people ("server answered 503 Service Unavailable", "no data for 30 s (idle timeout)") are kept;
 * cause chains are reduced to what went wrong.
 */
export function shortReason(message: string): string {
  const text = message.trim();
  if (text === '') return '';
  const status = /server answered (\d{3}(?: [^:]*)?)/i.exec(text);
  if (status) return `HTTP ${status[1].trim()}`;
  // Short and not a chain: already meant for people.
  if (text.length <= 60 && !text.includes(': ')) return text;
  for (const [re, reason] of RULES) if (re.test(text)) return reason;
  // Unknown chain: its innermost cause is the reason; drop "(os error N)" and URLs.
  const parts = text
    .split(': ')
    .map((p) => p.replace(/\s*\(os error \d+\)/i, '').trim())
    .filter((p) => p !== '');
  let last = parts[parts.length - 1] ?? text;
  if (/^https?:\/\//i.test(last) && parts.length > 1) last = parts[parts.length - 2];
  return last.length > MAX_CHARS ? `${last.slice(0, MAX_CHARS - 1)}…` : last;
}
