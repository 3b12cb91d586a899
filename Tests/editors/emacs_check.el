;;; emacs_check.el --- batch check of editors/emacs/mesh.el with eglot against mesh lsp  -*- lexical-binding: t; -*-
;; Run by emacs_e2e.py: MESH_FILE names a file in a joined folder, MESH_HOME the account.
;; Opens it, starts eglot (`mesh lsp' through mesh.el), types a line, waits for a line typed
;; in Neovim by the peer, runs mesh-who and mesh-chat, and prints OK.
(setq debug-on-error t)
(require 'mesh)
(mesh-setup)
(find-file (getenv "MESH_FILE"))
(text-mode)
(defun check-wait (predicate seconds what)
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.1))
    (unless (funcall predicate)
      (when (eglot-current-server)
        (with-current-buffer (eglot-events-buffer (eglot-current-server))
          (message "eglot events (tail):\n%s"
                   (buffer-substring (max (point-min) (- (point-max) 3000)) (point-max)))))
      (message "buffer: %S" (buffer-string))
      (error "Timed out waiting for %s" what))))
;; eglot-ensure waits for a command loop that batch Emacs does not run: start it directly.
(apply #'eglot (eglot--guess-contact))
(check-wait #'eglot-current-server 30 "eglot to connect")
(message "connected: %S" (eglot--server-info (eglot-current-server)))
(goto-char (point-min))
(insert "emacs was here\n")
;; Batch Emacs is never idle: send the change eglot would send from its idle timer.
(eglot--signal-textDocument/didChange)
(check-wait (lambda () (save-excursion (goto-char (point-min)) (search-forward "nvim was here" nil t)))
            30 "the peer's line (workspace/applyEdit)")
(message "who: %S" (mesh-who))
(mesh-chat "hello from emacs")
(let ((deadline (+ (float-time) 0.5))) (while (< (float-time) deadline) (accept-process-output nil 0.1)))
(message "buffer: %S" (buffer-string))
(message "OK")
