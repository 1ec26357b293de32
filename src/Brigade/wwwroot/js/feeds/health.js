// Is the server ready: the event log answers and the engine runs (GET /health/ready).
import { h, replace } from '../dom.js';
import { ApiError } from '../api.js';

export default {
  id: 'health',
  title: 'Health',
  description: 'Ready when the event log answers and the engine runs.',
  url: '/health/ready',
  refreshSeconds: 10,
  async load() {
    const response = await fetch('/health/ready', { cache: 'no-store' }).catch(() => {
      throw new ApiError(0, { title: 'Network error', detail: 'The server could not be reached.' });
    });
    return { ok: response.ok, text: (await response.text()).trim() || response.statusText };
  },
  render(body, data) {
    replace(body, h('p', {}, h('span', { class: `badge ${data.ok ? 'ok' : 'bad'}`, text: data.ok ? 'Ready' : 'Not ready' }), ' ', data.text));
  },
};
