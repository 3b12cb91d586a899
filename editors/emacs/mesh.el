;;; mesh.el --- Real-time pair programming with Mesh through eglot and dape  -*- lexical-binding: t; -*-

;; Keywords: tools, convenience
;; Version: 0.2
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))

;;; Commentary:

;; Mesh shares buffers through `mesh lsp', a stdio language server; this file tells eglot how
;; to start it in shared folders (those holding .mesh/session.json, written by `mesh share' or
;; `mesh join') and adds what plain LSP cannot: the other participants' cursors drawn from
;; `mesh/presence', your cursor sent as `mesh/cursor', quiet remote edits, and commands.
;; Works with Emacs 28.2 and eglot 1.9 (Debian 12: apt install emacs-nox elpa-eglot) and with
;; the eglot built into Emacs 29 and later.
;;
;;   (add-to-list 'load-path "/path/to/mesh/editors/emacs")
;;   (require 'mesh)
;;   (mesh-setup)
;;   (add-hook 'prog-mode-hook #'mesh-eglot-ensure)
;;   (add-hook 'text-mode-hook #'mesh-eglot-ensure)
;;
;; Only buffers whose file is inside a shared folder are touched: for them eglot starts
;; `mesh lsp' (the setting is buffer-local, so every other project keeps its usual servers and
;; language ids).  Then: remote edits apply without a prompt and without an echo-area line
;; each; the others' cursors appear as "‸Name" with their selections highlighted; annotations
;; are Flymake diagnostics (`mesh-reply', `mesh-resolve', or the quick fix in
;; `eglot-code-actions'); chat arrives as messages.  Commands: `mesh-chat', `mesh-annotate',
;; `mesh-reply', `mesh-resolve', `mesh-follow', `mesh-who', `mesh-invite', `mesh-share',
;; `mesh-join', and `mesh-undo' / `mesh-redo' (your own changes only; Emacs's `undo' takes
;; back a peer's typing too), e.g. (global-set-key (kbd "C-c m u") #'mesh-undo).
;;
;; Eglot runs one server per buffer, so in a shared folder `mesh lsp' replaces the language's
;; own server (gopls…) unless a multiplexer runs both.  With rassumfrassum ("rass", `pip install
;; rassumfrassum'):
;;
;;   (setq mesh-language-servers '(((go-mode go-ts-mode) . ("gopls"))))
;;
;; makes eglot run "rass -- gopls -- mesh lsp" for Go buffers in shared folders (gopls first:
;; rass sends hover, definitions and inlay hints to the first server only).  The cursors do not
;; depend on inlay hints: they come from `mesh/presence', which rass passes through.
;;
;; Debugging (dape, https://github.com/svaante/dape): `mesh-dape-setup' adds a `mesh'
;; configuration running `mesh dap'; the server runs the session's code under Delve and
;; every participant follows the same stops.  M-x dape RET mesh RET.

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'seq)
(require 'eieio)
(require 'project)
(require 'flymake)
(require 'jsonrpc)
(require 'eglot)

(when (version< emacs-version "28.1")
  (error "mesh.el needs Emacs 28.1 or newer, this is %s (Debian 12 ships 28.2: apt install emacs-nox)"
         emacs-version))
(unless (and (fboundp 'eglot-current-server) (fboundp 'eglot--lsp-position-to-point)
             (fboundp 'eglot--pos-to-lsp-position) (boundp 'eglot-managed-mode-hook))
  (error "mesh.el needs eglot 1.9 or newer (Debian 12: apt install elpa-eglot; Emacs 29+ has eglot built in)"))

(defvar eglot-confirm-server-edits)
(defvar eglot-confirm-server-initiated-edits)
(defvar eglot-ignored-server-capabilities)
(defvar eglot-send-changes-idle-time)
(defvar eglot--managed-mode)

(defgroup mesh nil
  "Real-time pair programming with Mesh."
  :group 'tools
  :prefix "mesh-")

(defcustom mesh-program "mesh"
  "The `mesh' executable."
  :type 'string)

(defcustom mesh-home nil
  "MESH_HOME (credentials) for `mesh lsp', `mesh dap' and the `mesh' CLI.
nil keeps the environment's."
  :type '(choice (const nil) directory))

(defcustom mesh-major-modes '(prog-mode text-mode)
  "Major modes (and modes derived from them) `mesh lsp' serves in shared folders."
  :type '(repeat symbol))

(defcustom mesh-language-servers nil
  "Language servers to run next to `mesh lsp' in shared folders.
They run through `mesh-multiplexer'.  An alist of (MODES . COMMAND):
MODES a major mode or a list of them, COMMAND the server's command
line, e.g.
  \\='(((go-mode go-ts-mode) . (\"gopls\")))
Buffers of other modes get `mesh lsp' alone."
  :type '(alist :key-type (choice symbol (repeat symbol)) :value-type (repeat string)))

(defcustom mesh-multiplexer '("rass")
  "The multiplexer that runs a language server and `mesh lsp' as one.
Its command line is this, then \"--\" and each server's command line
after a \"--\" (the syntax of rassumfrassum's `rass')."
  :type '(repeat string))

(defcustom mesh-send-changes-idle-time 0.05
  "`eglot-send-changes-idle-time' in shared buffers (eglot's default is 0.5).
Your typing reaches the others, and their next edit reaches you, only
once eglot has sent your changes."
  :type 'number)

(defcustom mesh-cursor-delay 0.05
  "Seconds from a command to sending your cursor (one `mesh/cursor' per burst)."
  :type 'number)

(defcustom mesh-colors
  '("#e06c75" "#98c379" "#e5c07b" "#61afef" "#c678dd" "#56b6c2" "#d19a66" "#ff79c6")
  "Colours of participants 0 to 7 (the server gives every user a stable index)."
  :type '(repeat color))

;;;; Shared folders

(defun mesh-root (&optional directory)
  "The folder holding .mesh/session.json at or above DIRECTORY.
DIRECTORY defaults to `default-directory'."
  (let ((dir (locate-dominating-file (or directory default-directory) ".mesh/session.json")))
    (and dir (expand-file-name dir))))

(defun mesh--project (directory)
  "A project rooted at the shared folder above DIRECTORY (eglot's root then)."
  (when-let ((root (mesh-root directory)))
    (cons 'mesh root)))

(cl-defmethod project-root ((project (head mesh)))
  (cdr project))

(defun mesh--cli-command (&rest args)
  "The command line running `mesh' with ARGS.
It sets MESH_HOME when `mesh-home' is set."
  (if mesh-home
      (append (list "env" (concat "MESH_HOME=" (expand-file-name mesh-home)) mesh-program) args)
    (cons mesh-program args)))

(defun mesh--language-server ()
  "The command of the server `mesh-language-servers' names for this buffer."
  (cdr (mesh--language-server-entry)))

(defun mesh--language-server-entry ()
  "The element of `mesh-language-servers' for this buffer's mode."
  (seq-find (lambda (entry)
              (seq-some (lambda (mode) (provided-mode-derived-p major-mode mode))
                        (ensure-list (car entry))))
            mesh-language-servers))

;;;; Eglot

(defclass mesh-eglot-server (eglot-lsp-server) ()
  :documentation "`mesh lsp', started by eglot for a shared folder.")

(defclass mesh-eglot-multiplexed-server (mesh-eglot-server) ()
  :documentation "A language server and `mesh lsp' behind `mesh-multiplexer'.")

(defun mesh--server-p (server)
  "Whether SERVER is an eglot server running `mesh lsp'."
  (and server (object-of-class-p server 'mesh-eglot-server)))

(defun mesh--contact (&rest _)
  "The eglot contact in a shared folder: `mesh lsp', maybe multiplexed."
  (let ((language-server (mesh--language-server)))
    (if language-server
        `(mesh-eglot-multiplexed-server ,@mesh-multiplexer "--" ,@language-server
                                        "--" ,@(mesh--cli-command "lsp"))
      `(mesh-eglot-server ,@(mesh--cli-command "lsp")))))

(defun mesh--modes ()
  "The modes of this buffer's `eglot-server-programs' entry, its mode first.
The first mode names the language id (eglot derives it from the entry)."
  (let ((entry (mesh--language-server-entry)))
    (cond (entry (cons major-mode (remq major-mode (ensure-list (car entry)))))
          ;; One `mesh lsp' for every served mode of the project, unless some modes go to a
          ;; multiplexed server: then a `prog-mode' key would let that mode's buffers join
          ;; this one instead (newer eglot matches derived modes).
          (mesh-language-servers (list major-mode))
          (t (cons major-mode (cl-remove major-mode mesh-major-modes))))))

(defun mesh--claim ()
  "If this buffer's file is in a shared folder, have eglot start `mesh lsp'.
Sets `eglot-server-programs' buffer-locally, so nothing changes elsewhere.
Returns non-nil for a shared buffer."
  (when (and buffer-file-name
             (not (file-remote-p buffer-file-name))
             (apply #'derived-mode-p mesh-major-modes)
             (mesh-root))
    (setq-local eglot-server-programs
                (cons (cons (mesh--modes) #'mesh--contact)
                      (default-value 'eglot-server-programs)))
    (setq-local eglot-send-changes-idle-time mesh-send-changes-idle-time)
    (unless (mesh--language-server)
      ;; `mesh lsp' alone: mesh.el draws the cursors from mesh/presence, and eglot (29+
      ;; turns inlay hints on by default) would show them a second time as hints.
      (setq-local eglot-ignored-server-capabilities
                  (cons :inlayHintProvider (default-value 'eglot-ignored-server-capabilities))))
    t))

;;;###autoload
(defun mesh-setup ()
  "Make eglot start `mesh lsp' for buffers in shared folders (only those).
A shared folder (.mesh/session.json) becomes the project root; the
other participants' edits apply without prompts or messages; their
cursors are drawn in the buffer."
  (interactive)
  (add-hook 'project-find-functions #'mesh--project)
  (add-hook 'after-change-major-mode-hook #'mesh--claim)
  (add-hook 'eglot-managed-mode-hook #'mesh--managed)
  ;; Drop the global entry older versions of this file added.
  (setq eglot-server-programs
        (seq-remove (lambda (entry) (eq (cdr entry) #'mesh--contact)) eglot-server-programs))
  (dolist (buffer (buffer-list))
    (with-current-buffer buffer (mesh--claim))))

;;;###autoload
(defun mesh-eglot-ensure ()
  "Start eglot (hence `mesh lsp') when the buffer's file is in a shared folder."
  (when (mesh--claim)
    (eglot-ensure)))

(cl-defmethod eglot-handle-request :around
  ((_server mesh-eglot-server) (_method (eql workspace/applyEdit)) &rest _)
  "Apply the other participants' edits without a prompt or a message each.
Eglot asks before server-initiated edits (1.9) and echoes \"[eglot]
applying N edits\" (and, newer, \"Edit successful!\") for each."
  (with-suppressed-warnings ((obsolete eglot-confirm-server-initiated-edits))
    (let ((inhibit-message t)
          (message-log-max nil)
          (eglot-confirm-server-edits nil)
          (eglot-confirm-server-initiated-edits nil))
      (cl-call-next-method))))

(defun mesh--managed ()
  "On `eglot-managed-mode-hook': follow the cursor in buffers `mesh lsp' manages."
  (if (and (bound-and-true-p eglot--managed-mode) (mesh--server-p (eglot-current-server)))
      (add-hook 'post-command-hook #'mesh--cursor-moved nil t)
    (remove-hook 'post-command-hook #'mesh--cursor-moved t)
    (mesh--draw nil)))

;;;; Presence: the others' cursors, and ours

(defvar-local mesh--overlays nil "The overlays drawing the other participants.")
(defvar-local mesh--cursor-timer nil)
(defvar-local mesh--last-cursor nil)
(defvar mesh--following nil "The user id being followed, or nil.")

(defun mesh--uri-to-path (uri)
  "URI as a file name (the eglot function was renamed in 1.16)."
  (if (fboundp 'eglot-uri-to-path) (eglot-uri-to-path uri)
    (with-no-warnings (eglot--uri-to-path uri))))

(defun mesh--uri (file)
  "FILE as the URI eglot sends (the eglot function was renamed in 1.16)."
  (if (fboundp 'eglot-path-to-uri) (eglot-path-to-uri file)
    (with-no-warnings (eglot--path-to-uri file))))

(cl-defmethod eglot-handle-notification
  ((_server mesh-eglot-server) (_method (eql mesh/presence)) &key uri participants &allow-other-keys)
  "Draw the PARTICIPANTS present in URI's buffer, replacing what was there."
  (when-let ((buffer (find-buffer-visiting (mesh--uri-to-path uri))))
    (with-current-buffer buffer
      (mesh--draw participants))))

(defun mesh--draw (participants)
  "Replace the drawn cursors and selections by those of PARTICIPANTS."
  (mapc #'delete-overlay mesh--overlays)
  (setq mesh--overlays nil)
  (seq-doseq (participant participants)
    (let* ((name (plist-get participant :name))
           (index (or (plist-get participant :color) 0))
           (color (nth (mod index (length mesh-colors)) mesh-colors))
           (label-face `(:background ,color :foreground "black"))
           (first t))
      (seq-doseq (selection (plist-get participant :selections))
        (let ((anchor (eglot--lsp-position-to-point (plist-get selection :anchor)))
              (head (eglot--lsp-position-to-point (plist-get selection :head))))
          (unless (= anchor head)
            (let ((overlay (make-overlay (min anchor head) (max anchor head))))
              (overlay-put overlay 'face `(:background ,color :distant-foreground "black"))
              (overlay-put overlay 'priority 10)
              (overlay-put overlay 'mesh-selection name)
              (push overlay mesh--overlays)))
          ;; The caret: "‸Name" before the character at the head (the name once).
          (let ((overlay (make-overlay head head nil t)))
            (overlay-put overlay 'before-string
                         (propertize (if first (concat "‸" name) "‸") 'face label-face))
            (overlay-put overlay 'mesh-participant name)
            (push overlay mesh--overlays))
          (when (and first (equal (plist-get participant :user) mesh--following))
            (dolist (window (get-buffer-window-list (current-buffer) nil t))
              (set-window-point window head)))
          (setq first nil))))))

(defun mesh--cursor-moved ()
  "On `post-command-hook': send the cursor soon."
  (unless mesh--cursor-timer
    (setq mesh--cursor-timer
          (run-with-timer mesh-cursor-delay nil #'mesh--send-cursor (current-buffer)))))

(defun mesh--send-cursor (buffer)
  "Send BUFFER's point (and region) as `mesh/cursor' when it moved."
  (when (buffer-live-p buffer)
    (with-current-buffer buffer
      (setq mesh--cursor-timer nil)
      (let ((server (eglot-current-server)))
        (when (and (mesh--server-p server) (jsonrpc-running-p server))
          (let* ((window (get-buffer-window buffer))
                 (head (if window (window-point window) (point)))
                 (anchor (if (use-region-p) (mark) head))
                 (params (list :textDocument (eglot--TextDocumentIdentifier)
                               :selections (vector (list :anchor (eglot--pos-to-lsp-position anchor)
                                                         :head (eglot--pos-to-lsp-position head))))))
            (unless (equal params mesh--last-cursor)
              (setq mesh--last-cursor params)
              ;; Positions are in the text as it is now: send the changes not sent yet first.
              (eglot--signal-textDocument/didChange)
              (jsonrpc-notify server :mesh/cursor params))))))))

;;;; Talking to mesh lsp

(defun mesh--server ()
  "The `mesh lsp' server of this buffer, else a `user-error'."
  (let ((server (eglot-current-server)))
    (if (mesh--server-p server)
        server
      (user-error "No mesh lsp here: open a file in a shared folder (one with .mesh/session.json), M-x mesh-eglot-ensure"))))

(defun mesh-execute (command &rest arguments)
  "Run the Mesh COMMAND (e.g. \"mesh.chat\") with ARGUMENTS; return its result."
  (jsonrpc-request (mesh--server) :workspace/executeCommand
                   (list :command command :arguments (vconcat arguments))))

(require 'mesh-commands)

(provide 'mesh)
;;; mesh.el ends here
