// The demo page: plain JS, no build step. It talks to the API through the envelope
// ({ code, message, data }) and shows the envelope's message when something fails.
(() => {
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem('token');

  function showError(message) {
    const box = $('error');
    box.textContent = message;
    box.hidden = !message;
  }

  async function api(path, { method = 'GET', headers = {}, body } = {}) {
    const auth = token ? { Authorization: `Bearer ${token}` } : {};
    const res = await fetch(path, {
      method,
      headers: { Accept: 'application/json', 'X-Requested-With': 'fetch', ...auth, ...headers },
      body,
    });
    const envelope = await res.json().catch(() => ({ code: res.status, message: res.statusText, data: null }));
    if (!res.ok) throw new Error(envelope.message || res.statusText);
    return envelope.data;
  }

  function showLoggedIn(me) {
    $('login-section').hidden = Boolean(me);
    for (const id of ['me-section', 'upload-section', 'files-section']) $(id).hidden = !me;
    if (me) {
      $('me-name').textContent = me.user;
      $('visits').textContent = String(me.visits);
    }
  }

  async function refreshMe() {
    if (!token) return showLoggedIn(null);
    try {
      showLoggedIn(await api('/api/me'));
      await refreshFiles();
    } catch {
      token = null;
      sessionStorage.removeItem('token');
      showLoggedIn(null);
    }
  }

  async function refreshFiles() {
    const files = await api('/api/files');
    const list = $('file-list');
    list.replaceChildren(
      ...files.map((file) => {
        const item = document.createElement('li');
        const link = document.createElement('a');
        link.href = `/downloads/${encodeURIComponent(file.id)}`;
        link.textContent = file.name;
        link.setAttribute('download', file.name);
        item.append(link, ` (${file.size} bytes)`);
        return item;
      }),
    );
  }

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    showError('');
    const name = $('username').value;
    const password = $('password').value;
    const basic = btoa(String.fromCharCode(...new TextEncoder().encode(`${name}:${password}`)));
    try {
      const data = await api('/api/login', { method: 'POST', headers: { Authorization: `Basic ${basic}` } });
      token = data.token;
      sessionStorage.setItem('token', token);
      await refreshMe();
    } catch (err) {
      showError(err.message);
    }
  });

  $('visit-button').addEventListener('click', async () => {
    showError('');
    try {
      const data = await api('/api/visits', { method: 'POST' });
      $('visits').textContent = String(data.visits);
    } catch (err) {
      showError(err.message);
    }
  });

  $('logout-button').addEventListener('click', async () => {
    showError('');
    await api('/api/logout', { method: 'POST' }).catch((err) => showError(err.message));
    token = null;
    sessionStorage.removeItem('token');
    showLoggedIn(null);
  });

  $('upload-button').addEventListener('click', () => {
    showError('');
    const file = $('file-input').files[0];
    if (!file) return showError('Choose a file first.');
    $('upload-status').textContent = 'uploading';
    const upload = new tus.Upload(file, {
      endpoint: '/api/uploads',
      headers: { Authorization: `Bearer ${token}` },
      metadata: { filename: file.name, filetype: file.type },
      chunkSize: 1024 * 1024,
      retryDelays: [0, 500, 1000, 2000, 4000, 8000],
      onProgress(sent, total) {
        const percent = total ? Math.floor((sent / total) * 100) : 0;
        $('upload-progress').value = percent;
        $('upload-percent').textContent = `${percent}%`;
      },
      onError(err) {
        // tus-js-client does not retry while the browser is offline: wait for the network, then
        // resume from the offset the server has (start() asks it with a HEAD request).
        if (!navigator.onLine) {
          $('upload-status').textContent = 'offline: waiting for the network';
          window.addEventListener('online', () => upload.start(), { once: true });
          return;
        }
        $('upload-status').textContent = 'failed';
        showError(err.originalResponse?.getBody() ? safeMessage(err.originalResponse.getBody()) : err.message);
      },
      async onSuccess() {
        $('upload-status').textContent = 'done';
        await refreshFiles().catch((err) => showError(err.message));
      },
    });
    upload.findPreviousUploads().then((previous) => {
      if (previous.length > 0) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    });
  });

  function safeMessage(body) {
    try {
      return JSON.parse(body).message;
    } catch {
      return body;
    }
  }

  refreshMe();
})();
