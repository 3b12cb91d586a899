;;; mesh-commands.el --- Mesh's commands for Emacs (part of mesh.el)  -*- lexical-binding: t; -*-

;;; Commentary:

;; The interactive commands of mesh.el: chat, annotations (annotate, reply, resolve), follow,
;; who, invites, sharing and joining (through the `mesh' CLI), and the dape configuration.
;; Loaded by mesh.el; load that, not this.

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'seq)
(require 'flymake)

(defvar dape-configs)
(defvar eglot--managed-mode)
(defvar mesh-program)
(defvar mesh-home)
(defvar mesh--following)
(declare-function mesh-execute "mesh" (command &rest arguments))
(declare-function mesh--server "mesh" ())
(declare-function mesh--uri "mesh" (file))
(declare-function mesh--claim "mesh" ())
(declare-function mesh-root "mesh" (&optional directory))
(declare-function mesh--cli-command "mesh" (&rest args))
(declare-function eglot--pos-to-lsp-position "eglot" (&optional pos))
(declare-function eglot--signal-textDocument/didChange "eglot" ())
(declare-function eglot-ensure "eglot" ())

(defun mesh--range ()
  "The active region, else the current line, as an LSP range."
  (let ((beg (if (use-region-p) (region-beginning) (line-beginning-position)))
        (end (if (use-region-p) (region-end) (line-end-position))))
    (list :start (eglot--pos-to-lsp-position beg)
          :end (eglot--pos-to-lsp-position end))))

(defun mesh-chat (text)
  "Send TEXT to the session's chat."
  (interactive "sMesh chat: ")
  (mesh-execute "mesh.chat" text))

(defun mesh-annotate (body)
  "Annotate the region (or the current line) with BODY."
  (interactive "sAnnotation: ")
  (mesh--server)
  (eglot--signal-textDocument/didChange)
  (mesh-execute "mesh.annotate" (mesh--uri buffer-file-name) (mesh--range) body))

(defun mesh--annotations-here ()
  "The Mesh annotations on the current line: a list of (ID . MESSAGE)."
  (let (found)
    (dolist (diagnostic (flymake-diagnostics (line-beginning-position) (min (point-max) (1+ (line-end-position)))))
      (let ((lsp (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data diagnostic)))))
        (when (and lsp (equal (plist-get lsp :source) "mesh") (stringp (plist-get lsp :code))
                   (not (assoc (plist-get lsp :code) found)))
          (push (cons (plist-get lsp :code) (plist-get lsp :message)) found))))
    (nreverse found)))

(defun mesh--pick-annotation (prompt)
  "The id of the annotation on this line (asking with PROMPT among several)."
  (let ((annotations (mesh--annotations-here)))
    (cond ((null annotations) (user-error "No Mesh annotation on this line"))
          ((null (cdr annotations)) (caar annotations))
          (t (let ((choice (completing-read prompt (mapcar #'cdr annotations) nil t)))
               (car (rassoc choice annotations)))))))

(defun mesh-reply (body &optional id)
  "Reply BODY to the annotation ID (default: the one on this line)."
  (interactive (let ((id (mesh--pick-annotation "Reply to: ")))
                 (list (read-string "Reply: ") id)))
  (mesh-execute "mesh.reply" (or id (mesh--pick-annotation "Reply to: ")) body))

(defun mesh-resolve (&optional id)
  "Resolve the annotation ID (default: the one on this line)."
  (interactive)
  (mesh-execute "mesh.resolve" (or id (mesh--pick-annotation "Resolve: "))))

(defun mesh-undo ()
  "Undo your own latest change to this shared file; a peer's typing stays.
Emacs's own `undo' takes back whatever changed last in the buffer,
remote edits included."
  (interactive)
  (mesh--server)
  (eglot--signal-textDocument/didChange)
  (mesh-execute "mesh.undo" (mesh--uri buffer-file-name)))

(defun mesh-redo ()
  "Redo your own latest undone change to this shared file."
  (interactive)
  (mesh--server)
  (eglot--signal-textDocument/didChange)
  (mesh-execute "mesh.redo" (mesh--uri buffer-file-name)))

(defun mesh-who ()
  "Show who is in the session (a message from the server); return the list."
  (interactive)
  (mesh-execute "mesh.who"))

(defun mesh-follow (name)
  "Follow participant NAME; an empty NAME stops following.
Where eglot has no `window/showDocument' (1.9), the view follows them
within the buffers already open."
  (interactive
   (list (completing-read "Follow (empty: stop): "
                          (seq-map (lambda (p) (plist-get p :name)) (mesh-execute "mesh.who")))))
  (if (string-empty-p name)
      (progn (setq mesh--following nil) (mesh-execute "mesh.follow"))
    (let ((person (seq-find (lambda (p) (or (equal (plist-get p :name) name) (equal (plist-get p :user) name)))
                            (mesh-execute "mesh.who"))))
      (mesh-execute "mesh.follow" name)
      (setq mesh--following (and person (plist-get person :user))))))

(defun mesh-invite (role)
  "Create an invite link for ROLE (editor, viewer or owner).
The link (<server>/join/<code>, which names the server) goes to the kill ring."
  (interactive (list (completing-read "Role: " '("editor" "viewer" "owner") nil t nil nil "editor")))
  (let ((result (mesh-execute "mesh.invite" role)))
    (when-let ((code (plist-get result :code)))
      (let ((url (plist-get result :url)))
        (kill-new (or url code))
        (message "Mesh invite (%s): mesh join %s  (code %s)" role (or url code) code)))
    result))

(defun mesh--cli (input &rest args)
  "Run the `mesh' CLI with ARGS and --json; return its JSON.
INPUT, when non-nil, goes to its stdin.  Signals an error carrying the
CLI's message when it fails."
  (let ((command (apply #'mesh--cli-command (append args '("--json"))))
        (errors (make-temp-file "mesh-stderr")))
    (unwind-protect
        (with-temp-buffer
          (when input (insert input))
          (let ((status (apply #'call-process-region (point-min) (point-max) (car command)
                               t (list t errors) nil (cdr command))))
            (unless (eql status 0)
              (error "%s" (string-trim (with-temp-buffer (insert-file-contents errors) (buffer-string)))))
            (goto-char (point-min))
            (json-parse-buffer :object-type 'plist :null-object nil :false-object nil)))
      (delete-file errors))))

(defun mesh--start-in (directory)
  "Start `mesh lsp' for the buffers visiting files under DIRECTORY."
  (let ((root (file-name-as-directory (expand-file-name directory))))
    (dolist (buffer (buffer-list))
      (with-current-buffer buffer
        (when (and buffer-file-name (string-prefix-p root (expand-file-name buffer-file-name))
                   (mesh--claim) (not (bound-and-true-p eglot--managed-mode)))
          (eglot-ensure))))))

(defun mesh-share (directory)
  "Share DIRECTORY (a new session; `mesh share') and start `mesh lsp' there.
The invite link goes to the kill ring."
  (interactive (list (read-directory-name "Share folder: " (or (mesh-root) default-directory))))
  (let* ((shared (mesh--cli nil "share" (expand-file-name directory)))
         (invite (or (plist-get shared :url) (plist-get (plist-get shared :invite) :code))))
    (mesh--start-in directory)
    (when invite
      (kill-new invite)
      (message "Mesh: shared %s; invite others with: mesh join %s (in the kill ring)" directory invite))
    shared))

(defun mesh-join (invite directory)
  "Join the session of INVITE into DIRECTORY.
INVITE is an invite link (<server>/join/<code>) or a bare code.
Without a login to the link's server, asks whether to log in or sign
up there, then for the email (and name) and password."
  (interactive (list (read-string "Invite link or code: ")
                     (read-directory-name "Into folder: " default-directory)))
  (let* ((directory (expand-file-name directory))
         (joined
          (condition-case failure
              (mesh--cli nil "join" invite directory)
            (error
             (let ((message (error-message-string failure)))
               (if (and (called-interactively-p 'any)
                        (string-match "not logged in to \\([^ ,]+\\)" message))
                   (let* ((server (match-string 1 message))
                          (signup (equal (completing-read (format "Not logged in to %s: " server)
                                                          '("log in" "sign up") nil t)
                                         "sign up"))
                          (email (read-string (format "Email on %s: " server)))
                          (name (and signup (read-string "Display name: ")))
                          (password (read-passwd (format "Password on %s: " server))))
                     (apply #'mesh--cli (concat password "\n") "join" invite directory
                            "--email" email "--password-stdin"
                            (and name (list "--name" name))))
                 (signal (car failure) (cdr failure))))))))
    (mesh--start-in directory)
    (message "Mesh: joined %s" (or (plist-get (plist-get joined :session) :name) invite))
    joined))

(defun mesh-dape-setup ()
  "Add a `mesh' configuration to dape.
It runs `mesh dap' over stdio and launches the session's Go code."
  (interactive)
  (if (not (require 'dape nil t))
      (progn (message "mesh: dape is not installed; no debug configuration added") nil)
    (add-to-list 'dape-configs
                 `(mesh
                   modes (go-mode go-ts-mode)
                   command ,mesh-program
                   command-args ("dap")
                   ,@(when mesh-home
                       `(command-env (:MESH_HOME ,(expand-file-name mesh-home))))
                   command-cwd mesh-root
                   :type "go"
                   :request "launch"
                   :mode "debug"
                   :program "."))
    t))

(provide 'mesh-commands)
;;; mesh-commands.el ends here
