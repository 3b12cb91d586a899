;;; emacs_check.el --- batch check of editors/emacs/mesh.el with eglot against mesh lsp  -*- lexical-binding: t; -*-
;; Run by emacs_e2e.py.  Environment: MESH_FILE a file in a joined folder, MESH_PLAIN_FILE one
;; in a folder that is not shared, MESH_HOME the account, MESH_PROGRAM the mesh binary,
;; MESH_SYNC a folder where the test drops a file per step it finished.
;;
;; Prints "STEP <name>" when a step is done (the test waits for those lines), waits for the
;; test's files, and ends with "OK".  Checks: outside a shared folder nothing of Mesh's is used;
;; inside, eglot starts `mesh lsp' with the buffer's own language id; edits both ways; every
;; remote edit applied without a prompt and without a message; the peer's cursor drawn from
;; mesh/presence; our cursor sent as mesh/cursor; reply and resolve of an annotation; who, chat.
(setq debug-on-error t)
(require 'cl-lib)
(require 'mesh)
(setq mesh-program (getenv "MESH_PROGRAM"))
(mesh-setup)
(add-hook 'text-mode-hook #'mesh-eglot-ensure)
(message "emacs %s, eglot %s" emacs-version
         (or (ignore-errors (with-temp-buffer (insert-file-contents (locate-library "eglot.el"))
                                              (and (re-search-forward "^;; Version: \\(.*\\)$" nil t)
                                                   (match-string 1))))
             "?"))

(defvar check-applied 0 "Remote edits eglot applied.")
(advice-add 'eglot--apply-workspace-edit :before (lambda (&rest _) (cl-incf check-applied)))

(defun check-flush ()
  "Send the buffer's changes, as eglot's idle timer would (batch Emacs is never idle)."
  (when (and (bound-and-true-p eglot--managed-mode) (eglot-current-server))
    (eglot--signal-textDocument/didChange)))

(defun check-wait (predicate seconds what)
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.1)
      (check-flush))
    (unless (funcall predicate)
      (when (eglot-current-server)
        (with-current-buffer (jsonrpc-events-buffer (eglot-current-server))
          (write-region nil nil (expand-file-name "../eglot-events.log" (getenv "MESH_SYNC")))
          (message "eglot events (tail; all in eglot-events.log):\n%s"
                   (buffer-substring (max (point-min) (- (point-max) 3000)) (point-max)))))
      (message "buffer: %S" (buffer-string))
      (error "Timed out waiting for %s" what))))

(defun check-step (name) (message "STEP %s" name))

(defun check-wait-for-test (name)
  (check-wait (lambda () (file-exists-p (expand-file-name name (getenv "MESH_SYNC")))) 60
              (format "the test's step %s" name)))

(defun check-mesh-processes ()
  "Processes running `mesh lsp' (of `mesh-program')."
  (cl-count-if (lambda (process)
                 (let ((command (process-command process)))
                   (and (consp command) (member mesh-program command) (member "lsp" command))))
               (process-list)))

(defun check-pause (seconds)
  (let ((deadline (+ (float-time) seconds)))
    (while (< (float-time) deadline) (accept-process-output nil 0.05) (check-flush))))

;; 1. A folder that is not shared: nothing of Mesh's, and eglot's table is untouched.
(find-file (getenv "MESH_PLAIN_FILE"))
(unless (eq major-mode 'text-mode) (text-mode))
(run-hooks 'post-command-hook)          ; where a deferred eglot-ensure would connect
(check-pause 0.5)
(when (local-variable-p 'eglot-server-programs)
  (error "mesh.el claimed a buffer outside a shared folder"))
(when (seq-some (lambda (entry) (eq (cdr entry) #'mesh--contact)) (default-value 'eglot-server-programs))
  (error "mesh.el put a global entry in eglot-server-programs"))
(let ((contact (condition-case nil (nth 3 (eglot--guess-contact)) (error nil))))
  (when (member mesh-program (flatten-tree contact))
    (error "eglot would start mesh outside a shared folder: %S" contact))
  (message "not shared: eglot's contact there is %S" contact))
(when (or (eglot-current-server) (> (check-mesh-processes) 0))
  (error "mesh lsp started for a file outside a shared folder"))
(check-step "plain")

;; 2. The shared folder: mesh-eglot-ensure (on text-mode-hook) starts mesh lsp.
(find-file (getenv "MESH_FILE"))
(unless (eq major-mode 'text-mode) (text-mode))
(unless (local-variable-p 'eglot-server-programs) (error "mesh.el did not claim the shared buffer"))
(unless (and (local-variable-p 'eglot-send-changes-idle-time) (< eglot-send-changes-idle-time 0.1)
             (memq :inlayHintProvider eglot-ignored-server-capabilities))
  (error "shared buffer: eglot-send-changes-idle-time %S, ignored capabilities %S"
         eglot-send-changes-idle-time eglot-ignored-server-capabilities))
(run-hooks 'post-command-hook)          ; eglot-ensure connects after the command
(check-wait #'eglot-current-server 30 "eglot to connect")
(let* ((server (eglot-current-server))
       (language-id (if (fboundp 'eglot--languageId)
                        (funcall 'eglot--languageId server)
                      (funcall 'eglot--language-id server))))
  (unless (mesh--server-p server)
    (error "eglot started %S, not mesh-eglot-server" (eieio-object-class server)))
  (unless (equal language-id "text") (error "languageId %S, expected \"text\"" language-id))
  (message "connected: %S %S languageId %S" (eieio-object-class server)
           (process-command (jsonrpc--process server)) language-id))
(flymake-start)
(unless (= (check-mesh-processes) 1) (error "%d mesh lsp processes" (check-mesh-processes)))
(goto-char (point-min))
(insert "emacs was here\n")
;; Batch Emacs is never idle: send the change eglot would send from its idle timer.
(eglot--signal-textDocument/didChange)
(check-step "typed")

;; 3. The peer's three lines, each a remote edit of its own.
(check-wait (lambda () (save-excursion (goto-char (point-min)) (search-forward "nvim was here 3" nil t)))
            60 "the peer's lines (workspace/applyEdit)")
(check-wait-for-test "nvim-typed")
(message "remote edits applied: %d" check-applied)
(when (< check-applied 3) (error "%d remote edits, expected 3 or more" check-applied))
(check-wait (lambda () (seq-some (lambda (o) (equal (overlay-get o 'mesh-participant) "Ada"))
                                 (overlays-in (point-min) (point-max))))
            15 "Ada's cursor (mesh/presence)")
(let ((caret (seq-find (lambda (o) (overlay-get o 'mesh-participant)) (overlays-in (point-min) (point-max)))))
  (message "Ada's cursor at line %d: %S" (line-number-at-pos (overlay-start caret))
           (overlay-get caret 'before-string)))
(when (bound-and-true-p eglot-inlay-hints-mode)
  (error "eglot-inlay-hints-mode is on for mesh lsp: the cursors would show twice"))
;; Our cursor: line 3, column 4 (0-based 2, 4), sent as mesh/cursor after the command.
(goto-char (point-min))
(forward-line 2)
(forward-char 4)
(run-hooks 'post-command-hook)
(check-wait (lambda () (and mesh--last-cursor (null mesh--cursor-timer))) 5 "mesh/cursor to be sent")
(check-step "cursor")

;; 4. Reply to and resolve the peer's annotation on line 2.
(check-wait-for-test "annotated")
(goto-char (point-min))
(forward-line 1)
(check-wait #'mesh--annotations-here 20 "Ada's annotation (a Flymake diagnostic)")
(message "annotations here: %S" (mesh--annotations-here))
(mesh-reply "reply from emacs")
(check-step "replied")
(check-wait-for-test "reply-seen")
(mesh-resolve)
(check-step "resolved")

;; 5. Who and chat.
(message "who: %S" (mesh-who))
(mesh-chat "hello from emacs")
(check-step "chatted")
(check-wait-for-test "done")
(with-current-buffer "*Messages*"
  (when (string-match-p "\\[eglot\\] applying\\|[Ee]dit successful\\|Server wants to" (buffer-string))
    (error "remote edits left messages:\n%s" (buffer-string))))
(message "buffer: %S" (buffer-string))
(message "OK")
