import { describe, expect, it } from 'vitest';
import { shortReason } from '../src/lib/errors';

describe('shortReason', () => {
  it('reduces reqwest cause chains to what went wrong', () => {
    expect(
      shortReason(
        'error sending request for url (http://127.0.0.1:9/events): client error (Connect): tcp connect error: Connection refused (os error 111)',
      ),
    ).toBe('connection refused');
    expect(shortReason('error sending request for url (http://nope.invalid/): client error (Connect): dns error: failed to lookup address information: Name or service not known')).toBe(
      'host not found',
    );
    expect(shortReason('error decoding response body: request or response body error: error reading a body from connection: end of file before message completed')).toBe(
      'the server closed the connection',
    );
    expect(shortReason('error reading a body from connection: Connection reset by peer (os error 104)')).toBe('connection reset by the server');
    expect(shortReason('error sending request for url (https://x/): client error (Connect): invalid peer certificate: UnknownIssuer')).toBe(
      'TLS certificate or handshake failed',
    );
  });

  it('keeps messages already written for people', () => {
    expect(shortReason('server answered 503 Service Unavailable')).toBe('HTTP 503 Service Unavailable');
    expect(shortReason('no data for 30 s (idle timeout)')).toBe('no data for 30 s (idle timeout)');
    expect(shortReason('expected Content-Type text/event-stream, got text/plain')).toBe('expected Content-Type text/event-stream, got text/plain');
    expect(shortReason('connection reset')).toBe('connection reset');
    expect(shortReason('')).toBe('');
  });

  it('falls back to the innermost cause of an unknown chain, without os error numbers', () => {
    expect(shortReason('error sending request: client error (SendRequest): something odd happened (os error 999)')).toBe('something odd happened');
    expect(shortReason(`a: b: ${'x'.repeat(200)}`).length).toBeLessThanOrEqual(80);
  });
});
