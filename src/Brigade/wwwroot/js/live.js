// Server-Sent Events with the caller's token and a visible connection state.
import { withAccessToken } from './auth.js';

/**
 * Follow an SSE stream. `events` are the event names to listen for (EventSource only reports
 * named events you ask for). The browser reconnects by itself and sends Last-Event-ID, so the
 * server replays what was missed, but never after an error status ('failed'): see followAgain.
 * Returns { close }.
 *
 * onMessage(name, data, lastEventId); onState('connecting' | 'live' | 'reconnecting' | 'failed' | 'closed').
 */
export function follow(path, { events, onMessage, onState = () => {} }) {
  const source = new EventSource(withAccessToken(path));
  let closed = false;
  onState('connecting');
  source.addEventListener('open', () => onState('live'));
  source.addEventListener('error', () => {
    if (closed) return;
    // CLOSED: the server refused (404, 401, …) and the browser will not retry.
    if (source.readyState === EventSource.CLOSED) {
      closed = true;
      onState('failed');
    } else {
      onState('reconnecting');
    }
  });
  const handler = e => {
    let data = null;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    onMessage(e.type, data, e.lastEventId);
  };
  for (const name of events) source.addEventListener(name, handler);
  return {
    close() {
      if (closed) return;
      closed = true;
      source.close();
      onState('closed');
    },
  };
}

// After a refused stream, try again in 2 s, then 4, 8, … up to 30 s while it stays refused.
const PAUSE_FIRST_MS = 2000;
const PAUSE_MAX_MS = 30_000;

/** Whether an API error means the server could not be reached (the network, a gateway's 502), not an answer about what was asked. */
export const unreachable = error => error?.status === 0 || error?.status >= 500;

/**
 * follow(), and follow again after a refusal. An error status (a gateway's 502 while the server is
 * down) ends an EventSource for good; then `onRefused()` asks why and resolves true to try again
 * (the server could not be reached, or let the page catch up by a plain request), false to stop
 * (what is followed is gone or finished, or the caller may not see it). The pause between tries
 * grows from 2 s to 30 s and starts over once the stream is live. While it waits, onState is
 * called with 'reconnecting' and { retryMs }. Returns { close }.
 */
export function followAgain(path, { events, onMessage, onState = () => {}, onRefused }) {
  let pauseMs = PAUSE_FIRST_MS;
  let stream = null;
  let timer = null;
  let closed = false;
  let last = null;
  const state = (name, info) => {
    last = name;
    onState(name, info);
  };
  const open = () => {
    timer = null;
    stream = follow(path, {
      events,
      onMessage,
      onState: async name => {
        if (name === 'live') pauseMs = PAUSE_FIRST_MS;
        state(name);
        if (name !== 'failed' || closed) return;
        let again = false;
        try {
          again = await onRefused();
        } catch {
          // the page could not say why: stop rather than retry blindly
        }
        if (!again || closed) return;
        state('reconnecting', { retryMs: pauseMs });
        timer = setTimeout(open, pauseMs);
        pauseMs = Math.min(PAUSE_MAX_MS, pauseMs * 2);
      },
    });
  };
  open();
  return {
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      stream.close();
      if (last !== 'closed') state('closed');
    },
  };
}

const STATE_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  failed: 'Not connected',
  closed: 'Finished',
};

/** Show a stream's state in an element (text, not only colour); `retryMs` from followAgain says when it tries again. */
export function showState(el, state, texts = {}, { retryMs } = {}) {
  el.dataset.state = state;
  el.textContent = retryMs != null ? retryText(retryMs) : texts[state] ?? STATE_TEXT[state] ?? state;
}

/** "Not connected (why): trying again in 4 s…" */
export const retryText = (ms, why) => `Not connected${why ? ` (${why})` : ''}: trying again in ${Math.round(ms / 1000)} s…`;
