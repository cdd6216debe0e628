// The demo page: plain JS, no build step. The browser logs in once with Basic credentials and then
// rides the HttpOnly session cookie (no token in the page). Every answer is the envelope
// ({ code, message, data }); a failure is shown next to what caused it, and any 401 means the login
// is gone (logout elsewhere, server restart): the page says so and shows the login form.
(() => {
  const $ = (id) => document.getElementById(id);
  const SECTIONS = ['me-section', 'tus-section', 'form-section', 'files-section'];
  let loggedIn = false;

  /** A failed API answer: the server's status, stable code and message. */
  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  /** The envelope's message (or a problem's detail), else the HTTP status text. */
  function failureOf(status, statusText, bodyText) {
    let body = null;
    try {
      body = JSON.parse(bodyText);
    } catch {}
    const code = body?.error?.code ?? body?.code;
    const message = body?.detail || body?.message || statusText || `HTTP ${status}`;
    return new ApiError(status, typeof code === 'string' ? code : undefined, message);
  }

  function showText(id, text) {
    const box = $(id);
    box.textContent = text || '';
    box.hidden = !text;
  }

  /** 1,536 -> "1.5 KB", 20,971,527 -> "20 MB". */
  function humanSize(bytes) {
    if (!Number.isFinite(bytes)) return '';
    if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
    const units = ['KB', 'MB', 'GB', 'TB'];
    let value = bytes / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    const shown = value < 10 ? value.toFixed(1).replace(/\.0$/, '') : String(Math.round(value));
    return `${shown} ${units[unit]}`;
  }

  async function api(path, { method = 'GET', headers = {}, body } = {}) {
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: { Accept: 'application/json', 'X-Requested-With': 'fetch', ...headers },
        body,
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The server cannot be reached');
    }
    const text = await res.text();
    if (!res.ok) {
      const failure = failureOf(res.status, res.statusText, text);
      if (res.status === 401 && loggedIn) loggedOut(`You are logged out: ${failure.message}.`);
      throw failure;
    }
    return text ? JSON.parse(text).data : null;
  }

  function showLoggedIn(me) {
    loggedIn = Boolean(me);
    $('login-section').hidden = loggedIn;
    for (const id of SECTIONS) $(id).hidden = !loggedIn;
    if (me) {
      $('me-name').textContent = me.user;
      $('visits').textContent = String(me.visits);
      showText('login-notice', '');
    }
  }

  /** The login is gone: stop what depends on it and say so at the login form. */
  function loggedOut(notice) {
    tusUpload.stop();
    formUpload.stop();
    forgetTusUploads();
    showLoggedIn(null);
    showText('login-notice', notice);
  }

  // tus-js-client remembers unfinished uploads in localStorage; they are this user's business only.
  function forgetTusUploads() {
    for (const key of Object.keys(localStorage)) if (key.startsWith('tus::')) localStorage.removeItem(key);
  }

  async function checkLogin({ withFiles = true } = {}) {
    try {
      showLoggedIn(await api('/api/me'));
      if (withFiles) await refreshFiles();
    } catch (err) {
      if (err.status !== 401) showText(loggedIn ? 'me-error' : 'login-error', err.message);
    }
  }

  async function showDemoCredentials() {
    const hint = await api('/api/demo-login').catch(() => null);
    if (!hint?.credentials) return;
    $('demo-user').textContent = hint.credentials.user;
    $('demo-password').textContent = hint.credentials.password;
    $('demo-credentials').hidden = false;
    if (!$('username').value) $('username').value = hint.credentials.user;
  }

  // ---- files -------------------------------------------------------------------------------

  async function refreshFiles() {
    let files;
    try {
      files = await api('/api/files');
    } catch (err) {
      showText('files-error', err.status === 401 ? '' : `The list could not be loaded: ${err.message}`);
      return;
    }
    showText('files-error', '');
    $('files-empty').hidden = files.length > 0;
    $('file-list').replaceChildren(...files.map(fileItem));
  }

  function fileItem(file) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = `/downloads/${encodeURIComponent(file.id)}`;
    link.textContent = file.name;
    link.className = 'file-name';
    link.addEventListener('click', (event) => {
      event.preventDefault();
      download(file, error);
    });
    const size = document.createElement('span');
    size.className = 'file-size';
    size.textContent = humanSize(file.size);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'delete';
    remove.textContent = 'Delete';
    remove.setAttribute('aria-label', `Delete ${file.name}`);
    const error = document.createElement('span');
    error.className = 'error item-error';
    error.setAttribute('role', 'alert');
    error.hidden = true;
    remove.addEventListener('click', async () => {
      remove.disabled = true;
      error.hidden = true;
      try {
        await api(`/api/files/${encodeURIComponent(file.id)}`, { method: 'DELETE' });
        await refreshFiles();
      } catch (err) {
        remove.disabled = false;
        error.textContent = `Not deleted: ${err.message}`;
        error.hidden = false;
      }
    });
    item.append(link, ' ', size, ' ', remove, ' ', error);
    return item;
  }

  /**
   * Asks first (HEAD) so that a refused download is shown here; a link followed blindly would
   * end as a "failed" download in the browser's download bar, with no reason given.
   */
  async function download(file, error) {
    error.hidden = true;
    const url = `/downloads/${encodeURIComponent(file.id)}`;
    let res;
    try {
      res = await fetch(url, { method: 'HEAD', headers: { Accept: 'application/json' } });
    } catch {
      res = { ok: false, status: 0, statusText: 'The server cannot be reached' };
    }
    if (res.ok) {
      const start = document.createElement('a');
      start.href = url;
      start.download = file.name;
      start.click();
      return;
    }
    if (res.status === 401) return loggedOut('You are logged out: log in again to download.');
    error.textContent = res.status === 404 ? 'Not downloaded: this file is gone.' : `Not downloaded: ${res.statusText}`;
    error.hidden = false;
  }

  // ---- resumable upload (tus) -------------------------------------------------------------

  const tusUpload = (() => {
    let upload = null;
    let state = 'idle';

    function setState(next, { error = '' } = {}) {
      state = next;
      $('tus-state').textContent = next;
      showText('tus-error', error);
      const active = upload !== null;
      $('tus-start').disabled = active;
      $('tus-file').disabled = active;
      $('tus-pause').disabled = !(active && (state === 'uploading' || state.startsWith('retrying')));
      $('tus-resume').disabled = !(active && (state === 'paused' || state === 'failed'));
      $('tus-cancel').disabled = !active;
    }

    function showProgress(sent, total) {
      const percent = total ? Math.floor((sent / total) * 100) : 0;
      $('tus-progress').value = percent;
      $('tus-percent').textContent = `${percent}%`;
      $('tus-bytes').textContent = total ? `${humanSize(sent)} of ${humanSize(total)}` : '';
    }

    function statusOf(err) {
      return err?.originalResponse ? err.originalResponse.getStatus() : 0;
    }

    function start() {
      const file = $('tus-file').files[0];
      if (!file) return setState('idle', { error: 'Choose a file first.' });
      upload = new tus.Upload(file, {
        endpoint: '/api/uploads',
        metadata: { filename: file.name, filetype: file.type },
        chunkSize: 1024 * 1024,
        retryDelays: [0, 500, 1000, 2000, 4000, 8000],
        // A finished file uploaded again is a new upload, not a HEAD to the finished one's URL.
        removeFingerprintOnSuccess: true,
        onProgress(sent, total) {
          if (state.startsWith('retrying')) setState('uploading');
          showProgress(sent, total);
        },
        onShouldRetry(err, attempt) {
          const status = statusOf(err);
          const retry = (status === 0 || status >= 500 || [409, 423, 429].includes(status)) && navigator.onLine;
          if (retry) setState(`retrying (connection lost, attempt ${attempt + 1})`);
          return retry;
        },
        onError(err) {
          const status = statusOf(err);
          if (status === 401) return loggedOut('You are logged out: the upload is paused. Log in again.');
          // tus-js-client does not retry while the browser is offline: wait for the network, then
          // resume from the offset the server has (start() asks it with a HEAD request).
          if (!navigator.onLine) {
            setState('paused', { error: 'Offline: the upload goes on when the network is back.' });
            window.addEventListener('online', () => upload && resume(), { once: true });
            return;
          }
          const body = err.originalResponse?.getBody();
          const message = body ? failureOf(status, '', body).message : err.message;
          setState('failed', { error: `Upload failed: ${message}` });
        },
        async onSuccess() {
          upload = null;
          showProgress(file.size, file.size);
          setState('done');
          await refreshFiles();
        },
      });
      showProgress(0, file.size);
      setState('uploading');
      const current = upload;
      current.findPreviousUploads().then((previous) => {
        if (upload !== current || state === 'paused') return;
        if (previous.length > 0) current.resumeFromPreviousUpload(previous[0]);
        current.start();
      });
    }

    function pause() {
      if (!upload) return;
      upload.abort();
      setState('paused');
    }

    function resume() {
      if (!upload) return;
      setState('uploading');
      upload.start();
    }

    async function cancel() {
      if (!upload) return;
      const current = upload;
      upload = null;
      showProgress(0, 0);
      setState('cancelled');
      // Terminates the upload on the server (DELETE); its bytes are removed there.
      await current
        .abort(true)
        .catch((err) => setState('cancelled', { error: `Not removed on the server: ${err.message}` }));
    }

    /** Logged out: the upload stops (it can be resumed after the next login from the same file). */
    function stop() {
      if (upload) upload.abort();
      upload = null;
      setState('idle');
    }

    $('tus-start').addEventListener('click', start);
    $('tus-pause').addEventListener('click', pause);
    $('tus-resume').addEventListener('click', resume);
    $('tus-cancel').addEventListener('click', cancel);
    return { stop };
  })();

  // ---- form upload (multipart, XMLHttpRequest for its upload progress) ---------------------

  const formUpload = (() => {
    let xhr = null;

    function setState(state, { error = '' } = {}) {
      $('form-state').textContent = state;
      showText('form-error', error);
      $('form-start').disabled = xhr !== null;
      $('form-file').disabled = xhr !== null;
      $('form-cancel').disabled = xhr === null;
    }

    function showProgress(sent, total) {
      const percent = total ? Math.floor((sent / total) * 100) : 0;
      $('form-progress').value = percent;
      $('form-percent').textContent = `${percent}%`;
      $('form-bytes').textContent = total ? `${humanSize(sent)} of ${humanSize(total)}` : '';
    }

    function start() {
      const file = $('form-file').files[0];
      if (!file) return setState('idle', { error: 'Choose a file first.' });
      const request = new XMLHttpRequest();
      xhr = request;
      request.open('POST', '/api/form-uploads');
      request.setRequestHeader('Accept', 'application/json');
      request.setRequestHeader('X-Requested-With', 'fetch');
      request.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) showProgress(event.loaded, event.total);
      });
      request.addEventListener('load', async () => {
        xhr = null;
        if (request.status === 201) {
          showProgress(file.size, file.size);
          setState('done');
          await refreshFiles();
          return;
        }
        const failure = failureOf(request.status, request.statusText, request.responseText);
        if (request.status === 401) return loggedIn && loggedOut(`You are logged out: ${failure.message}.`);
        setState('failed', { error: `Upload failed: ${failure.message}` });
      });
      request.addEventListener('error', () => {
        xhr = null;
        setState('failed', { error: 'Upload failed: the connection was lost (a form upload starts over).' });
      });
      request.addEventListener('abort', () => {
        if (xhr === request) xhr = null;
        showProgress(0, 0);
        setState('cancelled');
      });
      const body = new FormData();
      body.append('file', file);
      showProgress(0, file.size);
      request.send(body);
      setState('uploading');
    }

    function stop() {
      const request = xhr;
      xhr = null;
      request?.abort();
    }

    $('form-start').addEventListener('click', start);
    $('form-cancel').addEventListener('click', stop);
    return { stop };
  })();

  // ---- login, visits, logout ---------------------------------------------------------------

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    showText('login-error', '');
    const name = $('username').value;
    const password = $('password').value;
    const basic = btoa(String.fromCharCode(...new TextEncoder().encode(`${name}:${password}`)));
    $('login-button').disabled = true;
    try {
      await api('/api/login', { method: 'POST', headers: { Authorization: `Basic ${basic}` } });
      $('password').value = '';
      await checkLogin();
    } catch (err) {
      showText('login-error', `Not logged in: ${err.message}`);
    } finally {
      $('login-button').disabled = false;
    }
  });

  $('visit-button').addEventListener('click', async () => {
    showText('me-error', '');
    try {
      const data = await api('/api/visits', { method: 'POST' });
      $('visits').textContent = String(data.visits);
    } catch (err) {
      if (err.status !== 401) showText('me-error', `Not counted: ${err.message}`);
    }
  });

  $('logout-button').addEventListener('click', async () => {
    showText('me-error', '');
    try {
      await api('/api/logout', { method: 'POST' });
      loggedOut('Logged out: every login of yours has ended.');
    } catch (err) {
      if (err.status !== 401) showText('me-error', `Not logged out: ${err.message}`);
    }
  });

  // A server restart or a logout in another tab ends this login: notice it when the page is looked
  // at again, and now and then, rather than on the next click only.
  document.addEventListener('visibilitychange', () => {
    if (loggedIn && document.visibilityState === 'visible') checkLogin({ withFiles: false });
  });
  setInterval(() => loggedIn && checkLogin({ withFiles: false }), 30_000);

  showDemoCredentials();
  checkLogin();
})();
