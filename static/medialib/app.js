// The library's behaviour: uploads with progress, the asset panel's actions,
// keyboard handling. Reads come as server-rendered fragments through htmx;
// writes go to the JSON API with the session cookie and the CSRF token.
"use strict";

(() => {
  // The extensions' badge labels, from the registry through the page (base.html).
  const EXTENSION_LABELS = JSON.parse(document.getElementById("extension-labels").textContent);
  const UPLOADS_AT_ONCE = 2;

  const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;
  const label = (name) => EXTENSION_LABELS[name] || name;

  function errorMessage(status, data) {
    if (data && typeof data.message === "string" && data.message) return data.message;
    if (status === 413) return "The file is larger than this library accepts.";
    if (status === 401 || status === 403) {
      return "You are signed out or may not do this. Reload the page and sign in again.";
    }
    return `The server could not do this (HTTP ${status}). Please try again.`;
  }

  // `body` goes as JSON, or as a form posts it when it is URLSearchParams. An error
  // carries the server's message and, when the server names one, the `field` at fault.
  async function api(method, url, body) {
    const headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
    const isForm = body instanceof URLSearchParams;
    if (body !== undefined && !isForm) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined || isForm ? body : JSON.stringify(body),
      });
    } catch {
      throw new Error("The server could not be reached. Check the connection and try again.");
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      // No body (204) or not JSON: the status says enough.
    }
    if (!response.ok) {
      const error = new Error(errorMessage(response.status, data));
      error.field = data && data.field;
      throw error;
    }
    return data;
  }

  // Messages that must outlive a panel reload are shown in one toast.
  function toast(message, kind = "info") {
    let box = document.getElementById("toast");
    if (!box) {
      box = document.createElement("div");
      box.id = "toast";
      box.className = "toast";
      box.setAttribute("role", "status");
      document.body.append(box);
    }
    box.textContent = message;
    box.dataset.kind = kind;
    box.classList.add("visible");
    clearTimeout(box.hideTimer);
    box.hideTimer = setTimeout(() => box.classList.remove("visible"), 5000);
  }

  function setStatus(element, message, kind = "info") {
    const status = element && element.querySelector("[data-status]");
    if (!status) return toast(message, kind);
    status.textContent = message;
    status.dataset.kind = kind;
  }

  // ---------------------------------------------------------------- the panel

  const panel = () => document.getElementById("panel");
  const panelBody = () => document.getElementById("panel-body");
  const isSidePanel = () => panel() && !panel().classList.contains("page");
  // The card that opened the panel, by file id: refreshes replace its element.
  let openerFileId = null;
  let focusPanelOnSwap = false;
  // Bumped when the panel is closed or opened on another file, so that a
  // response still on its way for the old state is not swapped in.
  let panelGeneration = 0;

  function reloadPanel() {
    const body = panelBody();
    if (body) htmx.trigger(body, "asset-changed");
  }

  function closePanel() {
    if (!isSidePanel() || !panelBody()) return;
    panelGeneration += 1;
    panel().replaceChildren();
    document.querySelectorAll(".asset.selected").forEach((card) => card.classList.remove("selected"));
    const opener = openerFileId && document.querySelector(`#card-${openerFileId} .asset-link`);
    if (opener) opener.focus();
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    const link = event.detail.elt.closest && event.detail.elt.closest(".asset-link");
    if (link) panelGeneration += 1;
    if (event.detail.target === panel()) event.detail.xhr.panelGeneration = panelGeneration;
    if (!link) return;
    openerFileId = link.dataset.fileId;
    focusPanelOnSwap = true;
    document.querySelectorAll(".asset.selected").forEach((card) => card.classList.remove("selected"));
    link.closest(".asset").classList.add("selected");
  });

  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target === panel() && event.detail.xhr.panelGeneration !== panelGeneration) {
      event.detail.shouldSwap = false;
    }
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== panel() || !focusPanelOnSwap) return;
    focusPanelOnSwap = false;
    const title = document.getElementById("panel-title");
    if (title) title.focus();
  });

  document.addEventListener("htmx:responseError", (event) => {
    toast(`Could not load this (HTTP ${event.detail.xhr.status}).`, "error");
  });

  const panelActions = {
    async "save-tags"(form, fileId) {
      const tags = form.elements.namedItem("tags").value.split(",").map((t) => t.trim());
      await api("PATCH", `/v1/files/${fileId}/details`, { tags: tags.filter(Boolean) });
      toast("Tags saved.");
    },
    async "save-metadata"(form) {
      form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
      try {
        await api("POST", form.action, new URLSearchParams(new FormData(form)));
      } catch (error) {
        const input = error.field && form.querySelector(`#metadata-${CSS.escape(error.field)}`);
        if (input) {
          input.setAttribute("aria-invalid", "true");
          (input.matches("fieldset") ? input.querySelector("input") : input).focus();
        }
        throw error;
      }
      toast("Custom metadata saved.");
    },
    async "auto-tag"(form, fileId) {
      const field = (name) => form.elements.namedItem(name).value;
      const provider = field("provider");
      const data = await api("PATCH", `/v1/files/${fileId}/details`, {
        extensions: [
          {
            name: provider,
            minConfidence: Number(field("minConfidence")),
            maxTags: Number(field("maxTags")),
          },
        ],
      });
      const status = (data && data.extensionStatus && data.extensionStatus[provider]) || "pending";
      toast(`${label(provider)}: ${status}.`, status === "failed" ? "error" : "info");
    },
    async "remove-background"(form, fileId) {
      const extension = backgroundRemoval(form);
      const data = await api("PATCH", `/v1/files/${fileId}/details`, { extensions: [extension] });
      const status = (data && data.extensionStatus && data.extensionStatus[extension.name]) || "pending";
      toast(
        status === "failed" ? "Background removal failed; see the runs." : "Removing the background…",
        status === "failed" ? "error" : "info",
      );
    },
  };

  // The background removal item of the `extensions` array, named by the form.
  function backgroundRemoval(form) {
    const options = {
      semitransparency: form.elements.namedItem("semitransparency").checked,
      add_shadow: form.elements.namedItem("add_shadow").checked,
    };
    const colour = form.elements.namedItem("bg_color").value.trim();
    if (colour) options.bg_color = colour;
    return { name: form.elements.namedItem("backgroundRemoval").value, options };
  }

  async function runPanelAction(container, button, work) {
    const fileId = panelBody().dataset.fileId;
    if (button) button.disabled = true;
    setStatus(container, "Working…");
    try {
      await work(fileId);
      setStatus(container, "");
      reloadPanel();
    } catch (error) {
      setStatus(container, error.message, "error");
    } finally {
      if (button) button.disabled = false;
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    const action = panelActions[form.dataset.action];
    if (!action) return;
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    runPanelAction(form, button, (fileId) => action(form, fileId));
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    switch (button.dataset.action) {
      case "close-panel":
        closePanel();
        break;
      case "copy-url":
        copyUrl(button);
        break;
      case "restore": {
        const versionId = button.dataset.versionId;
        runPanelAction(button.closest(".version"), button, async (fileId) => {
          await api("PUT", `/v1/files/${fileId}/versions/${versionId}/restore`);
          toast("Version restored as the current one.");
        });
        break;
      }
      case "delete":
        confirmDelete();
        break;
      case "open-upload":
        openUpload();
        break;
      case "close-dialog":
        button.closest("dialog").close();
        break;
      default:
    }
  });

  document.addEventListener("input", (event) => {
    if (event.target.dataset.action !== "compare") return;
    const compare = event.target.parentElement.querySelector(".compare");
    compare.style.setProperty("--pos", `${event.target.value}%`);
  });

  // The URL at the width and format chosen beside the button (the server signed each
  // choice, since a private file's signature covers its transformation).
  function chosenUrl(button) {
    const box = button.parentElement.querySelector("[data-copy-urls]");
    if (!box) return button.dataset.url;
    const width = box.querySelector("[name=copy-width]").value;
    const format = box.querySelector("[name=copy-format]").value;
    return JSON.parse(box.dataset.copyUrls)[`${width}|${format}`] || button.dataset.url;
  }

  async function copyUrl(button) {
    const url = new URL(chosenUrl(button), window.location.href).href;
    try {
      await navigator.clipboard.writeText(url);
      toast("URL copied.");
    } catch {
      window.prompt("Copy this URL:", url);
    }
  }

  function confirmDelete() {
    const dialog = document.getElementById("confirm-delete");
    const body = panelBody();
    dialog.returnValue = "";
    dialog.addEventListener(
      "close",
      async () => {
        if (dialog.returnValue !== "delete") return;
        const fileId = body.dataset.fileId;
        try {
          await api("DELETE", `/v1/files/${fileId}`);
        } catch (error) {
          setStatus(body.querySelector(".panel-actions"), error.message, "error");
          return;
        }
        const card = document.getElementById(`card-${fileId}`);
        if (card) card.remove();
        toast(`Deleted ${body.dataset.fileName}.`);
        if (isSidePanel()) {
          panel().replaceChildren();
        } else {
          window.location.assign("/");
        }
      },
      { once: true },
    );
    dialog.showModal();
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || document.querySelector("dialog[open]")) return;
    closePanel();
  });

  // ---------------------------------------------------------------- uploads

  const uploadDialog = () => document.getElementById("upload-dialog");
  const queue = [];

  function openUpload() {
    const dialog = uploadDialog();
    if (!dialog) return;
    // Rows of an earlier batch that are finished make room for the new one.
    for (let i = queue.length - 1; i >= 0; i -= 1) {
      if (queue[i].state === "done" || queue[i].state === "error") {
        queue[i].row.remove();
        queue.splice(i, 1);
      }
    }
    if (!dialog.open) dialog.showModal();
  }

  function humanSize(bytes) {
    if (bytes < 1024) return `${bytes} bytes`;
    const units = ["KB", "MB", "GB"];
    let value = bytes;
    let unit = "bytes";
    for (const next of units) {
      if (value < 1024) break;
      value /= 1024;
      unit = next;
    }
    return `${value.toFixed(value < 10 ? 1 : 0)} ${unit}`;
  }

  function addFiles(files) {
    const list = document.getElementById("upload-list");
    const maxBytes = Number(uploadDialog().dataset.maxBytes || 0);
    for (const file of files) {
      const row = document.createElement("li");
      row.className = "upload-row";
      const name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = `${file.name} (${humanSize(file.size)})`;
      const progress = document.createElement("progress");
      progress.max = 100;
      progress.value = 0;
      progress.setAttribute("aria-label", `Upload of ${file.name}`);
      const message = document.createElement("span");
      message.className = "upload-message";
      row.append(name, progress, message);
      list.append(row);
      const item = { file, row, progress, message, state: "ready" };
      queue.push(item);
      if (maxBytes && file.size > maxBytes) {
        finish(item, "error", `Too large: ${humanSize(file.size)}. This library accepts files up to ${humanSize(maxBytes)}.`);
      } else {
        message.textContent = "Ready";
      }
    }
  }

  function finish(item, state, text) {
    item.state = state;
    item.row.dataset.state = state;
    item.message.textContent = text;
    if (state === "error") item.progress.value = 0;
  }

  function uploadFields(form) {
    const field = (name) => form.elements.namedItem(name);
    const extensions = [];
    if (field("autoTag").checked) {
      extensions.push({
        name: field("provider").value,
        minConfidence: Number(field("minConfidence").value),
        maxTags: Number(field("maxTags").value),
      });
    }
    if (field("removeBg").checked) extensions.push(backgroundRemoval(form));
    const fields = {
      folder: field("folder").value.trim() || "/",
      useUniqueFileName: "true",
      isPrivateFile: field("isPrivateFile").checked ? "true" : "false",
    };
    const tags = field("tags").value.split(",").map((t) => t.trim()).filter(Boolean);
    if (tags.length) fields.tags = tags.join(",");
    if (extensions.length) fields.extensions = JSON.stringify(extensions);
    return fields;
  }

  function uploadOne(item, fields) {
    return new Promise((resolve) => {
      const body = new FormData();
      body.append("file", item.file);
      body.append("fileName", item.file.name);
      for (const [key, value] of Object.entries(fields)) body.append(key, value);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/files/upload");
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.responseType = "json";
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) item.progress.value = (100 * event.loaded) / event.total;
      });
      xhr.addEventListener("load", async () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          item.progress.value = 100;
          const statuses = Object.values((xhr.response && xhr.response.extensionStatus) || {});
          if (statuses.includes("failed")) item.row.dataset.warning = "true";
          finish(item, "done", await uploadedText(xhr.response));
        } else {
          finish(item, "error", errorMessage(xhr.status, xhr.response));
        }
        resolve();
      });
      xhr.addEventListener("error", () => {
        finish(item, "error", "The server could not be reached; the file was not uploaded.");
        resolve();
      });
      item.state = "uploading";
      item.message.textContent = "Uploading…";
      xhr.send(body);
    });
  }

  // "Uploaded. Google tags: success" and, for an extension that failed at
  // once (no units left, say), the reason in the run's own words.
  async function uploadedText(file) {
    const statuses = (file && file.extensionStatus) || {};
    const failed = Object.keys(statuses).filter((name) => statuses[name] === "failed");
    let reasons = {};
    if (failed.length) {
      try {
        const runsUrl = uploadDialog().dataset.runsUrl.replace("FILE_ID", file.fileId);
        const response = await fetch(runsUrl, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const data = await response.json();
        for (const run of data.runs.slice().reverse()) reasons[run.name] = run.message;
      } catch {
        reasons = {};
      }
    }
    const parts = Object.entries(statuses).map(([name, status]) =>
      status === "failed" && reasons[name]
        ? `${label(name)} failed: ${reasons[name]}`
        : `${label(name)}: ${status}`,
    );
    return ["Uploaded", ...parts].join(". ") + ".";
  }

  async function startUploads(form) {
    const fields = uploadFields(form);
    const waiting = queue.filter((item) => item.state === "ready");
    if (!waiting.length) {
      toast("Choose or drop files first.");
      return;
    }
    const button = document.getElementById("upload-start");
    button.disabled = true;
    const workers = Array.from({ length: UPLOADS_AT_ONCE }, async () => {
      while (waiting.length) await uploadOne(waiting.shift(), fields);
    });
    await Promise.all(workers);
    button.disabled = false;
    refreshResults();
  }

  function refreshResults() {
    if (!document.getElementById("results")) return;
    htmx.ajax("GET", window.location.pathname + window.location.search, {
      target: "#results",
      swap: "outerHTML",
    });
  }

  function hasFiles(event) {
    return event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files");
  }

  function setUpUploads() {
    const dialog = uploadDialog();
    if (!dialog) return;
    const form = document.getElementById("upload-form");
    const input = document.getElementById("upload-files");
    const dropzone = dialog.querySelector("[data-dropzone]");
    input.addEventListener("change", () => {
      addFiles(input.files);
      input.value = "";
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      startUploads(form);
    });
    dropzone.addEventListener("dragover", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      dropzone.classList.add("over");
    });
    dropzone.addEventListener("dragleave", () => dropzone.classList.remove("over"));
    dropzone.addEventListener("drop", (event) => {
      event.preventDefault();
      dropzone.classList.remove("over");
      addFiles(event.dataTransfer.files);
    });
    // Files dragged anywhere over the library open the upload dialog.
    document.addEventListener("dragenter", (event) => {
      if (hasFiles(event) && !dialog.open) openUpload();
    });
    document.addEventListener("dragover", (event) => {
      if (hasFiles(event)) event.preventDefault();
    });
    document.addEventListener("drop", (event) => {
      if (hasFiles(event) && !dropzone.contains(event.target)) {
        event.preventDefault();
        addFiles(event.dataTransfer.files);
      }
    });
  }

  setUpUploads();
})();
