// One modal at a time. A modal the rule says the agent must answer (force-edit, the violation
// warning) is not dismissible: no close control, Esc and clicks outside do nothing.

import { el } from "./common.js";

const backdrop = () => document.getElementById("modal-backdrop");
let current = null;

export function showModal({ title, body = [], buttons = [], dismissible = false, kind = "" }) {
  closeModal();
  const box = document.getElementById("modal");
  box.dataset.kind = kind;
  box.dataset.dismissible = dismissible ? "true" : "false";
  document.getElementById("modal-title").textContent = title;
  document.getElementById("modal-body").replaceChildren(...body);
  document.getElementById("modal-buttons").replaceChildren(...buttons.map((b) => el("button", {
    type: "button", class: b.class || "", dataset: { action: b.action || "" },
    onclick: () => { if (b.keepOpen !== true) closeModal(); b.onclick(); },
  }, b.label)));
  current = { dismissible };
  backdrop().hidden = false;
  box.focus();
}

export function closeModal() {
  current = null;
  const node = backdrop();
  if (node) node.hidden = true;
}

export function modalOpen() {
  return current !== null;
}

document.addEventListener("keydown", (event) => {
  if (current === null) return;
  if (event.key === "Escape") {
    event.preventDefault();
    if (current.dismissible) closeModal();
  }
});

document.addEventListener("click", (event) => {
  if (current !== null && current.dismissible && event.target === backdrop()) closeModal();
});
