import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Most unread bytes of a refused body that are read and thrown away so the connection stays usable.
 * Above that, or when the rest is unknown (chunked), the answer carries `Connection: close` and the
 * rest is not read: draining it would let a client make the server read gigabytes (or forever).
 */
export const DRAIN_LIMIT = 64 * 1024;

/** How long, and how many bytes, a closing connection is still read (and dropped) after the answer. */
const LINGER_MS = 2000;
const LINGER_BYTES = 16 * 1024 * 1024;

/** Whether a refusal sent before a body is read must close the connection (the body is large or of unknown length). */
export function unreadBodyIsLarge(req: IncomingMessage): boolean {
  if (req.complete) return false;
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const declared = Number(req.headers['content-length'] ?? 0);
  return !Number.isSafeInteger(declared) || declared > DRAIN_LIMIT;
}

/**
 * Closes the connection of a refused upload the way nginx's `lingering_close` does. Node ends a
 * `Connection: close` answer's socket with `destroySoon()`: FIN, then close at once, while the client
 * may still be sending. Closing a socket with unread bytes resets the connection, and a client busy
 * writing (measured: 11 of 20 raw clients streaming a chunked body) then loses the answer. Here the
 * FIN goes out after the answer, what still arrives is read and dropped, and the socket is closed
 * when the client closes its side, after 2 s, or after 16 MiB, whichever comes first.
 */
export function lingerOnClose(req: IncomingMessage): void {
  const socket = req.socket as Socket & { destroySoon?: () => void };
  if (!socket || socket.destroyed || typeof socket.destroySoon !== 'function') return;
  socket.destroySoon = function lingeringClose() {
    if (socket.writable) socket.end();
    let dropped = 0;
    const close = () => socket.destroy();
    const timer = setTimeout(close, LINGER_MS);
    timer.unref();
    socket.once('end', close);
    socket.once('close', () => clearTimeout(timer));
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER_BYTES) close();
    });
    req.resume();
  };
}
