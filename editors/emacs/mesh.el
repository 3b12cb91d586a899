;;; mesh.el --- Real-time pair programming with Mesh through eglot and dape  -*- lexical-binding: t; -*-

;; Keywords: tools, convenience
;; Package-Requires: ((emacs "29.1") (eglot "1.15"))

;;; Commentary:

;; Mesh shares buffers through `mesh lsp', a stdio language server; this file tells eglot
;; (built into Emacs 29+) how to start it and wraps its commands.
;;
;;   (add-to-list 'load-path "/path/to/mesh/editors/emacs")
;;   (require 'mesh)
;;   (mesh-setup)                      ; eglot: `mesh lsp' for files in a shared folder
;;   (add-hook 'prog-mode-hook #'mesh-eglot-ensure)
;;   (add-hook 'text-mode-hook #'mesh-eglot-ensure)
;;
;; Then in a folder written by `mesh share' or `mesh join' (it holds .mesh/session.json),
;; M-x eglot (or the hook above) starts `mesh lsp'.  What works without any extra code:
;; remote edits, the other participants' cursors as inlay hints with their names
;; (`eglot-inlay-hints-mode'), their selections as hint diagnostics (Flymake), annotations as
;; information diagnostics with code actions (reply / resolve: M-x eglot-code-actions), chat as
;; messages in the echo area.  The commands below call `workspace/executeCommand'.
;;
;; One server per buffer: eglot runs a single language server per major mode and project.
;; Mesh replaces the language's own server (gopls…) for shared buffers unless you run a
;; multiplexer such as lspx or rassumfrassum ("rass") that merges several servers into one:
;;
;;   (add-to-list 'eglot-server-programs
;;                '((go-mode go-ts-mode) . ("rass" "--" "gopls" "--" "mesh" "lsp")))
;;
;; Debugging (dape, https://github.com/svaante/dape): `mesh-dape-setup' adds a `mesh'
;; configuration running `mesh dap'; the server runs the session's code under Delve and
;; every participant follows the same stops.  M-x dape RET mesh RET.

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'eglot)
(require 'project)
(require 'seq)

(defvar dape-configs)
(defvar eglot-confirm-server-edits)
(defvar eglot-confirm-server-initiated-edits)

(defgroup mesh nil
  "Real-time pair programming with Mesh."
  :group 'tools
  :prefix "mesh-")

(defcustom mesh-program "mesh"
  "The `mesh' executable."
  :type 'string)

(defcustom mesh-home nil
  "MESH_HOME (credentials) for `mesh lsp' and `mesh dap'.
nil keeps the environment's."
  :type '(choice (const nil) directory))

(defcustom mesh-major-modes
  '(prog-mode text-mode go-mode go-ts-mode markdown-mode)
  "Major modes whose buffers `mesh lsp' serves inside a shared folder."
  :type '(repeat symbol))

(defun mesh-root (&optional directory)
  "The folder holding .mesh/session.json above DIRECTORY.
DIRECTORY defaults to `default-directory'."
  (let ((dir (locate-dominating-file (or directory default-directory) ".mesh/session.json")))
    (and dir (expand-file-name dir))))

(defun mesh--command ()
  "The `mesh lsp' command line, with MESH_HOME when `mesh-home' is set."
  (if mesh-home
      (list "env" (concat "MESH_HOME=" (expand-file-name mesh-home)) mesh-program "lsp")
    (list mesh-program "lsp")))

(defun mesh--entry-matches-p (modes)
  "Whether an `eglot-server-programs' MODES key covers the current major mode."
  (seq-some (lambda (mode)
              (let ((symbol (if (consp mode) (car mode) mode)))
                (and (symbolp symbol) (provided-mode-derived-p major-mode symbol))))
            (if (and (consp modes) (not (keywordp (cadr modes)))) modes (list modes))))

(defun mesh--contact (&rest args)
  "The eglot contact: `mesh lsp' in a shared folder, else the mode's usual server.
ARGS are what eglot passes to a contact function (INTERACTIVE, and
PROJECT in newer eglot)."
  (if (mesh-root)
      (mesh--command)
    (let ((entry (seq-find (lambda (e) (and (not (eq (cdr e) #'mesh--contact))
                                            (mesh--entry-matches-p (car e))))
                           eglot-server-programs)))
      (cond ((null entry) (user-error "No language server for %s outside a Mesh folder" major-mode))
            ((functionp (cdr entry)) (apply (cdr entry) args))
            (t (cdr entry))))))

(defun mesh--project (directory)
  "A project rooted at the shared folder above DIRECTORY.
That folder then is eglot's workspace root."
  (when-let ((root (mesh-root directory)))
    (cons 'mesh root)))

(cl-defmethod project-root ((project (head mesh)))
  (cdr project))

;;;###autoload
(defun mesh-setup ()
  "Register `mesh lsp' with eglot for `mesh-major-modes'.
A shared folder (.mesh/session.json) becomes the project root for eglot,
and server-initiated edits (the other participants' typing) apply
without a confirmation prompt."
  (interactive)
  (add-hook 'project-find-functions #'mesh--project)
  (add-to-list 'eglot-server-programs (cons mesh-major-modes #'mesh--contact))
  ;; Every remote keystroke arrives as a server-initiated `workspace/applyEdit'; eglot asks
  ;; "Server wants to edit … Proceed?" for each unless told not to.  Newer eglot (1.16+) takes
  ;; an alist per method; older eglot only a global switch.
  (if (boundp 'eglot-confirm-server-edits)
      (setq eglot-confirm-server-edits
            (cons '(workspace/applyEdit . nil)
                  (if (listp eglot-confirm-server-edits)
                      eglot-confirm-server-edits
                    (list (cons t eglot-confirm-server-edits)))))
    (setq eglot-confirm-server-initiated-edits nil)))

;;;###autoload
(defun mesh-eglot-ensure ()
  "Start eglot (hence `mesh lsp') when the buffer's file is in a shared folder."
  (when (and buffer-file-name (mesh-root))
    (eglot-ensure)))

(defun mesh--server ()
  (or (eglot-current-server)
      (user-error "No mesh language server here (open a file in a shared folder, M-x eglot)")))

(defun mesh-execute (command &rest arguments)
  "Run the Mesh COMMAND (e.g. \"mesh.chat\") with ARGUMENTS; return its result."
  (eglot-execute-command (mesh--server) command (vconcat arguments)))

(defun mesh--uri (file)
  "FILE as the URI eglot sends (the function was renamed in eglot 1.16)."
  (if (fboundp 'eglot-path-to-uri) (eglot-path-to-uri file) (eglot--path-to-uri file)))

(defun mesh--range ()
  "The active region, else the current line, as an LSP range."
  (let ((beg (if (use-region-p) (region-beginning) (line-beginning-position)))
        (end (if (use-region-p) (region-end) (line-end-position))))
    (list :start (eglot--pos-to-lsp-position beg)
          :end (eglot--pos-to-lsp-position end))))

;;;###autoload
(defun mesh-chat (text)
  "Send TEXT to the session's chat."
  (interactive "sMesh chat: ")
  (mesh-execute "mesh.chat" text))

;;;###autoload
(defun mesh-annotate (body)
  "Annotate the region (or the current line) with BODY."
  (interactive "sAnnotation: ")
  (mesh-execute "mesh.annotate" (mesh--uri buffer-file-name) (mesh--range) body))

;;;###autoload
(defun mesh-follow (name)
  "Follow participant NAME; an empty NAME stops following."
  (interactive "sFollow (empty: stop): ")
  (if (string-empty-p name)
      (mesh-execute "mesh.follow")
    (mesh-execute "mesh.follow" name)))

;;;###autoload
(defun mesh-who ()
  "Show who is in the session (the server answers with a message)."
  (interactive)
  (mesh-execute "mesh.who"))

;;;###autoload
(defun mesh-invite (role)
  "Create an invite link for ROLE (editor, viewer or owner).
The link (<server>/join/<code>, which names the server) goes to the kill ring."
  (interactive (list (completing-read "Role: " '("editor" "viewer" "owner") nil t nil nil "editor")))
  (let ((result (mesh-execute "mesh.invite" role)))
    (when-let ((code (plist-get result :code)))
      (let ((url (plist-get result :url)))
        (kill-new (or url code))
        (if url
            (message "Mesh invite (%s): mesh join %s  (code %s)" role url code)
          (message "Mesh invite (%s): mesh join %s" role code))))))

;;;###autoload
(defun mesh-share ()
  "Share the current project folder (the language server must be running there)."
  (interactive)
  (mesh-execute "mesh.share"))

;;;###autoload
(defun mesh-join (invite)
  "Join the session of INVITE into the current project folder.
INVITE is an invite link (<server>/join/<code>) or a bare code.  The
language server needs a login to the link's server: without one, run
`mesh join LINK' in a terminal once (it offers to log in or sign up)."
  (interactive "sInvite link or code: ")
  (mesh-execute "mesh.join" invite))

;;;###autoload
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

(provide 'mesh)
;;; mesh.el ends here
