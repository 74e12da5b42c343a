// Keys for one review widget: a click anywhere on the widget makes its keys live until the
// reviewer clicks elsewhere (or presses Escape), whatever the pointer does afterwards.
//
// The view finds its widget (the nearest ancestor with the class `review-keys-scope`), makes it
// focusable and holds the focus there. While live, every plain key pressed in the widget is
// stopped before JupyterLab sees it (a listener on `window` in the capture phase runs before
// any of JupyterLab's), so notebook shortcuts (`m`, `d d`, `i i`, Shift-Enter) never fire: a
// lone `i` held by JupyterLab as half of `i i` would otherwise be replayed with the next key.
// Keys the widget uses are sent to Python as {type: "key", key, shiftKey}. Keys typed in text
// boxes, lists and date pickers stay with them; Ctrl/Alt/Meta chords and Tab pass through.

const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);

function typing(target) {
  return !!target && (TYPING.has(target.tagName) || target.isContentEditable);
}

function render({ model, el }) {
  el.classList.add("review-keys-cue");
  const cue = document.createElement("div");
  cue.className = "review-keys-cue-line";
  const light = document.createElement("span");
  light.className = "review-keys-light";
  const text = document.createElement("span");
  cue.append(light, text);
  el.appendChild(cue);

  let scope = null;
  let live = false;
  let lastReclaim = 0;

  function draw() {
    el.dataset.live = live ? "1" : "0";
    cue.classList.toggle("review-keys-cue-live", live);
    cue.title = model.get("hint");
    light.textContent = live ? "⌨ Keys live" : "⌨ Keys off";
    text.textContent = live
      ? " · the letters on the buttons work · Esc releases"
      : " · click anywhere on this panel to use the keys";
    if (scope) scope.classList.toggle("review-keys-live", live);
  }

  function setLive(value) {
    if (live === value) return;
    live = value;
    draw();
    model.set("live", live);
    model.save_changes();
  }

  function holdFocus() {
    if (!scope || !live) return;
    const active = document.activeElement;
    if (active && scope.contains(active) && (active === scope || typing(active))) return;
    scope.focus({ preventScroll: true });
  }

  function inside(node) {
    return !!scope && !!node && scope.contains(node);
  }

  function onPointerDown(event) {
    if (!scope) return;
    if (!inside(event.target)) {
      setLive(false);
      return;
    }
    setLive(true);
    if (typing(event.target)) return; // the reviewer is about to type or pick from a list
    // After the click has done its work (a button's click, JupyterLab selecting the cell),
    // move the focus to the widget itself, so nothing JupyterLab focuses keeps the keys.
    setTimeout(holdFocus, 0);
    requestAnimationFrame(() => setTimeout(holdFocus, 30));
  }

  function onChange(event) {
    // A reason picked from the list with the pointer: the next key is a shortcut again.
    if (live && inside(event.target) && event.target.tagName === "SELECT") {
      setTimeout(holdFocus, 0);
    }
  }

  function onFocusOut(event) {
    if (!live) return;
    const next = event.relatedTarget;
    if (inside(next)) return;
    // Focus left without a click elsewhere: the focused element was redrawn or disabled, or
    // JupyterLab took the focus back after a click on the widget. Keep the keys.
    const now = Date.now();
    if (now - lastReclaim < 100) return;
    lastReclaim = now;
    setTimeout(() => {
      const active = document.activeElement;
      if (live && (!active || active === document.body || !inside(active) && !typing(active))) {
        holdFocus();
      }
    }, 0);
  }

  function onKey(event) {
    if (!live || !inside(event.target)) return;
    if (typing(event.target)) {
      if (event.type === "keydown" && event.key === "Escape") {
        scope.focus({ preventScroll: true });
        event.stopPropagation();
        event.preventDefault();
      }
      return; // text typed in a note or a field is the reviewer's text
    }
    if (event.ctrlKey || event.metaKey || event.altKey || event.key === "Tab") return;
    // Every other key stops here, handled or not: JupyterLab never sees it.
    event.stopPropagation();
    event.stopImmediatePropagation();
    event.preventDefault();
    if (event.type !== "keydown") return;
    if ((event.key === "Enter" || event.key === " ") && event.target.tagName === "BUTTON") {
      // A focused button still answers Enter and Space (JupyterLab must not see them).
      if (!event.repeat && !event.target.disabled) event.target.click();
      return;
    }
    if (event.key === "Escape") {
      setLive(false);
      scope.blur();
      return;
    }
    if (event.repeat) return;
    const keys = model.get("shortcuts");
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (keys.includes(key)) {
      model.send({ type: "key", key: key, shiftKey: event.shiftKey });
    }
  }

  function attach() {
    scope = el.closest(".review-keys-scope");
    if (!scope) return false;
    if (!scope.hasAttribute("tabindex")) scope.setAttribute("tabindex", "-1");
    document.addEventListener("pointerdown", onPointerDown, true);
    window.addEventListener("keydown", onKey, true);
    window.addEventListener("keypress", onKey, true);
    window.addEventListener("keyup", onKey, true);
    scope.addEventListener("focusout", onFocusOut);
    scope.addEventListener("change", onChange, true);
    draw();
    return true;
  }

  // The view is rendered before its parent box puts it in the page: wait until it is there.
  let tries = 0;
  const timer = setInterval(() => {
    if (attach() || ++tries > 600) clearInterval(timer);
  }, 50);
  model.on("change:hint", draw);
  draw();

  return () => {
    clearInterval(timer);
    document.removeEventListener("pointerdown", onPointerDown, true);
    window.removeEventListener("keydown", onKey, true);
    window.removeEventListener("keypress", onKey, true);
    window.removeEventListener("keyup", onKey, true);
    if (scope) {
      scope.removeEventListener("focusout", onFocusOut);
      scope.removeEventListener("change", onChange, true);
      scope.classList.remove("review-keys-live");
    }
  };
}

export default { render };
