"""Spanish (default) and English strings of the interface.

One table, key -> (es, en). A missing key shows the key itself, so a gap is visible in the
UI and caught by the test that walks every key, rather than crashing a page.
"""

from __future__ import annotations

LANGS = ("es", "en")
DEFAULT_LANG = "es"

STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("Desempeño y Capacitación", "Staff Performance & Training"),
    "app.tagline": (
        "Planes de capacitación con ganancia esperada, costo en soles y razones claras.",
        "Training plans with expected gain, cost in soles and clear reasons.",
    ),
    "lang.label": ("Idioma", "Language"),
    # login
    "login.title": ("Iniciar sesión", "Sign in"),
    "login.username": ("Usuario", "Username"),
    "login.password": ("Contraseña", "Password"),
    "login.submit": ("Ingresar", "Sign in"),
    "login.failed": ("Usuario o contraseña incorrectos.", "Wrong username or password."),
    "login.locked": (
        "Demasiados intentos fallidos. Espera un minuto e inténtalo de nuevo.",
        "Too many failed attempts. Wait a minute and try again.",
    ),
    "login.help": (
        "¿No tienes usuario? Pídelo al equipo de RR.HH. de tu organización.",
        "No account? Ask your organization's HR team.",
    ),
    "logout": ("Cerrar sesión", "Sign out"),
    "signed_in_as": ("Sesión de {name} ({role})", "Signed in as {name} ({role})"),
    "role.hr": ("RR.HH.", "HR"),
    "role.manager": ("Jefatura", "Manager"),
    "role.employee": ("Colaborador", "Employee"),
    "role.trainer": ("Capacitación", "Trainer"),
    # access
    "access.login_first": (
        "Inicia sesión para ver esta página.",
        "Sign in to see this page.",
    ),
    "access.denied": (
        "Tu rol no tiene acceso a esta página.",
        "Your role does not have access to this page.",
    ),
    "config.error": (
        "La aplicación no está bien configurada: {detail}",
        "The app is not configured correctly: {detail}",
    ),
    "error.generic": (
        "Algo salió mal y no se guardó nada. Inténtalo de nuevo; si se repite, avisa a RR.HH. "
        "(referencia {ref}).",
        "Something went wrong and nothing was saved. Try again; if it happens again, tell HR "
        "(reference {ref}).",
    ),
    # pages
    "page.home": ("Inicio", "Home"),
    "page.data": ("Datos", "Data"),
    "home.welcome": ("Hola, {name}", "Hello, {name}"),
    "home.can.hr": (
        "Como RR.HH. puedes subir los datos trimestrales, revisar su calidad y ver las "
        "versiones de datos.",
        "As HR you can upload quarterly data, review its quality and see the data versions.",
    ),
    "home.can.manager": (
        "Como jefatura ves a tu equipo (reportes directos e indirectos).",
        "As a manager you see your team (direct and indirect reports).",
    ),
    "home.can.employee": (
        "Aquí verás tu plan de capacitación y tu historial.",
        "Here you will see your own training plan and your history.",
    ),
    "home.can.trainer": (
        "Como capacitador ves datos agregados: brechas de habilidades y demanda de programas, "
        "sin calificaciones individuales.",
        "As a trainer you see aggregates: skill gaps and program demand, with no individual "
        "ratings.",
    ),
    "home.metric.employees": ("Colaboradores", "Employees"),
    "home.metric.team": ("Personas en tu equipo", "People in your team"),
    "home.metric.quarters": ("Trimestres con datos", "Quarters with data"),
    "home.metric.latest": ("Último trimestre", "Latest quarter"),
    "home.metric.avg_rating": ("Calificación promedio", "Average rating"),
    "home.metric.programs": ("Programas en el catálogo", "Programs in the catalog"),
    "home.metric.datasets": ("Versiones de datos", "Data versions"),
    "home.metric.own_rating": ("Tu calificación", "Your rating"),
    "home.delta_hint": ("respecto al trimestre anterior", "vs the previous quarter"),
    "home.empty.hr": (
        "Aún no hay datos. Ve a **Datos** para subir los archivos del trimestre.",
        "No data yet. Go to **Data** to upload the quarter's files.",
    ),
    "home.empty.other": (
        "Aún no hay datos cargados. RR.HH. debe subir los archivos del trimestre.",
        "No data loaded yet. HR has to upload the quarter's files.",
    ),
    "home.no_link": (
        "Tu usuario no está vinculado a un colaborador. Pide a RR.HH. que lo vincule.",
        "Your user is not linked to an employee. Ask HR to link it.",
    ),
    # team page
    "page.team": ("Equipo", "Team"),
    "team.title": ("Equipo", "Team"),
    "team.pick_manager": ("Equipo de", "Team of"),
    "team.no_team": (
        "No tienes personas a cargo registradas. Si es un error, pide a RR.HH. que revise "
        "el campo «jefe» en el archivo de colaboradores.",
        "You have no reports on record. If this is wrong, ask HR to check the 'manager' field "
        "of the employees file.",
    ),
    "team.no_managers": (
        "Aún no hay jefaturas en los datos: sube el archivo de colaboradores con su jefe.",
        "There are no managers in the data yet: upload the employees file with each manager.",
    ),
    "team.size": ("{n} personas (reportes directos e indirectos)",
                  "{n} people (direct and indirect reports)"),
    "team.trend": ("Calificación promedio por trimestre", "Average rating per quarter"),
    "team.series.team": ("Equipo", "Team"),
    "team.series.org": ("Organización", "Organization"),
    "team.distribution": ("Distribución de calificaciones · {period}",
                          "Rating distribution · {period}"),
    "team.members": ("Integrantes", "Members"),
    "team.filter": ("Buscar por nombre o puesto", "Search by name or role"),
    "team.col.name": ("Nombre", "Name"),
    "team.col.role": ("Puesto", "Role"),
    "team.col.location": ("Sede", "Location"),
    "team.col.rating": ("Calificación", "Rating"),
    "team.col.trend": ("Cambio", "Change"),
    "team.col.requests": ("Solicitudes pendientes", "Pending requests"),
    "team.col.period": ("Trimestre", "Quarter"),
    "team.no_ratings": ("Aún no hay calificaciones para este equipo.",
                        "No ratings for this team yet."),
    "axis.quarter": ("Trimestre", "Quarter"),
    "axis.rating": ("Calificación (1–5)", "Rating (1–5)"),
    "axis.people": ("Personas", "People"),
    # requests page
    "page.requests": ("Solicitudes", "Requests"),
    "req.title": ("Solicitudes de capacitación", "Training requests"),
    "req.intro.employee": ("Aquí sigues el estado de tus solicitudes.",
                           "Follow the state of your requests here."),
    "req.intro.manager": ("Aprueba o rechaza las solicitudes de tu equipo.",
                          "Approve or reject your team's requests."),
    "req.intro.hr": ("Todas las solicitudes de la organización.",
                     "Every request in the organization."),
    "req.empty": (
        "No hay solicitudes todavía. Las solicitudes se crean desde el plan de capacitación.",
        "No requests yet. Requests are made from the training plan.",
    ),
    "req.pending": ("Pendientes de tu decisión ({n})", "Waiting for your decision ({n})"),
    "req.history": ("Historial", "History"),
    "req.comment": ("Comentario (opcional)", "Comment (optional)"),
    "req.approve": ("Aprobar", "Approve"),
    "req.reject": ("Rechazar", "Reject"),
    "req.approved": ("Solicitud aprobada.", "Request approved."),
    "req.rejected": ("Solicitud rechazada.", "Request rejected."),
    "req.col.person": ("Persona", "Person"),
    "req.col.program": ("Programa", "Program"),
    "req.col.status": ("Estado", "Status"),
    "req.col.created": ("Solicitada", "Requested"),
    "req.col.decided_by": ("Decidió", "Decided by"),
    "req.col.comment": ("Comentario", "Comment"),
    "status.requested": ("Pendiente", "Pending"),
    "status.approved": ("Aprobada", "Approved"),
    "status.rejected": ("Rechazada", "Rejected"),
    "status.completed": ("Completada", "Completed"),
    # admin page
    "page.admin": ("Administración", "Administration"),
    "admin.title": ("Administración", "Administration"),
    "admin.tab.users": ("Usuarios", "Users"),
    "admin.tab.audit": ("Registro de auditoría", "Audit log"),
    "admin.tab.privacy": ("Solicitudes de privacidad", "Privacy requests"),
    "admin.add_user": ("Agregar usuario", "Add user"),
    "admin.username": ("Usuario", "Username"),
    "admin.active": ("Activo", "Active"),
    "admin.password": ("Contraseña inicial (mín. 8 caracteres)",
                       "Initial password (at least 8 characters)"),
    "admin.role": ("Rol", "Role"),
    "admin.employee": ("Colaborador vinculado", "Linked employee"),
    "admin.none": ("(ninguno)", "(none)"),
    "admin.create": ("Crear usuario", "Create user"),
    "admin.created": ("Usuario {u} creado.", "User {u} created."),
    "admin.manage": ("Gestionar un usuario", "Manage a user"),
    "admin.disable": ("Desactivar", "Disable"),
    "admin.enable": ("Activar", "Enable"),
    "admin.reset": ("Nueva contraseña", "New password"),
    "admin.reset_btn": ("Cambiar contraseña", "Change password"),
    "admin.link_btn": ("Vincular", "Link"),
    "admin.done": ("Listo.", "Done."),
    "admin.privacy.pick": ("Colaborador", "Employee"),
    "admin.privacy.export": ("Descargar todos sus datos (JSON)", "Download all their data (JSON)"),
    "admin.privacy.optout": ("Se opone a la evaluación automatizada",
                             "Objects to automated scoring"),
    "admin.privacy.optout_help": (
        "Si se marca, esta persona queda fuera del modelo y no recibe planes.",
        "When checked, this person is left out of the model and gets no plans.",
    ),
    "admin.privacy.anonymize": ("Anonimizar (persona que dejó la organización)",
                                "Anonymize (person who has left)"),
    "admin.privacy.confirm": ("Escribe ANONIMIZAR para confirmar", "Type ANONIMIZAR to confirm"),
    "admin.privacy.anonymized": ("Anonimizado como {p}.", "Anonymized as {p}."),
    "admin.audit.empty": ("El registro está vacío.", "The log is empty."),
    # privacy notice
    "privacy.accept": ("He leído el aviso", "I have read the notice"),
    # skill gaps page
    "page.gaps": ("Brechas de habilidades", "Skill gaps"),
    "gaps.title": ("Brechas de habilidades", "Skill gaps"),
    "gaps.intro": (
        "Brecha promedio entre el nivel de cada habilidad y el nivel que pide el puesto "
        "(0 = sin brecha), en el último trimestre. Solo datos agregados; los grupos de menos "
        "de {n} personas no se muestran.",
        "Average gap between each skill's level and the level the role needs (0 = no gap), in "
        "the latest quarter. Aggregates only; groups under {n} people are not shown.",
    ),
    "gaps.by": ("Agrupar por", "Group by"),
    "gaps.by.department": ("Departamento", "Department"),
    "gaps.by.location": ("Sede", "Location"),
    "gaps.heatmap": ("Brecha promedio (niveles)", "Average gap (levels)"),
    "gaps.empty": ("Aún no hay datos de habilidades. RR.HH. debe subir el desempeño trimestral.",
                   "No skill data yet. HR has to upload quarterly performance."),
    "gaps.feedback": ("«No es para mí» por programa", "'Not for me' per program"),
    "gaps.feedback.empty": ("Nadie ha descartado programas todavía.",
                            "Nobody has dismissed a program yet."),
    "reason.done_elsewhere": ("Ya lo hice en otro lugar", "Already done elsewhere"),
    "reason.not_relevant": ("No es relevante para mi puesto", "Not relevant to my job"),
    "reason.no_time": ("No tengo tiempo", "No time"),
    # plan page
    "page.plan": ("Plan", "Plan"),
    "plan.title": ("Plan de capacitación", "Training plan"),
    "plan.pick": ("Persona", "Person"),
    "plan.none_visible": ("No hay personas que puedas ver.", "There is nobody you may see."),
    "plan.recommended": ("Programas recomendados", "Recommended programs"),
    "plan.no_plan": (
        "Aún no hay un plan: RR.HH. debe entrenar el modelo con los datos del trimestre.",
        "No plan yet: HR has to train the model with the quarter's data.",
    ),
    "plan.opted_out": (
        "Esta persona se opuso a la evaluación automatizada: no recibe recomendaciones del "
        "modelo.",
        "This person objected to automated scoring: the model makes no recommendations for "
        "them.",
    ),
    "plan.gain": ("Ganancia esperada", "Expected gain"),
    "plan.gain_value": ("{g:+.2f} puntos (entre {lo:+.2f} y {hi:+.2f})",
                        "{g:+.2f} points (between {lo:+.2f} and {hi:+.2f})"),
    "plan.hours": ("Horas", "Hours"),
    "plan.cost": ("Costo", "Cost"),
    "plan.modality": ("Modalidad", "Modality"),
    "plan.why": ("¿Por qué?", "Why?"),
    "plan.shap_title": ("Qué sube y qué baja tu calificación prevista",
                        "What raises and lowers your predicted rating"),
    "plan.request": ("Solicitar esta capacitación", "Request this training"),
    "plan.requested": ("Solicitud enviada a tu jefatura.", "Request sent to your manager."),
    "plan.not_for_me": ("No es para mí", "Not for me"),
    "plan.reason": ("Motivo", "Reason"),
    "plan.dismissed": ("Quitamos el programa de tu lista.", "We took the program off your list."),
    "plan.skills": ("Habilidades frente al nivel del puesto", "Skills against the role's level"),
    "plan.series.level": ("Nivel actual", "Current level"),
    "plan.series.target": ("Nivel del puesto", "Role's level"),
    "plan.history": ("Historial de calificaciones", "Rating history"),
    "plan.no_history": ("Sin calificaciones registradas.", "No ratings on record."),
    "modality.presencial": ("Presencial", "In person"),
    "modality.virtual": ("Virtual", "Online"),
    "modality.mixta": ("Mixta", "Blended"),
    # training (data page)
    "train.title": ("Modelo y planes", "Model and plans"),
    "train.intro": (
        "Entrena el modelo con los datos guardados y calcula el plan de cada persona. El nuevo "
        "modelo reemplaza al activo solo si no es peor en el mismo conjunto de prueba.",
        "Train the model on the stored data and compute everyone's plan. The new model "
        "replaces the active one only if it is not worse on the same hold-out.",
    ),
    "train.button": ("Entrenar y generar planes", "Train and build plans"),
    "train.running": ("Entrenando…", "Training…"),
    "train.stage.train": ("1/3 · Entrenando el modelo de desempeño…",
                          "1/3 · Training the performance model…"),
    "train.stage.plans": ("2/3 · Calculando ganancias y razones para cada persona…",
                          "2/3 · Computing gains and reasons for each person…"),
    "train.stage.store": ("3/3 · Guardando los planes…", "3/3 · Storing the plans…"),
    "train.done": ("Modelo {v}: {status}. {reason}", "Model {v}: {status}. {reason}"),
    "train.plans": ("Planes guardados: {n}.", "Plans stored: {n}."),
    "train.metric.mae": ("Error medio (calificación)", "Mean error (rating)"),
    "train.metric.mae_naive": ("Error si nada cambia", "Error if nothing changes"),
    "train.metric.auc": ("AUC riesgo de calificación baja", "AUC low-rating risk"),
    "train.metric.f1": ("F1", "F1"),
    # data page
    "data.title": ("Datos", "Data"),
    "data.intro": (
        "Sube los archivos del trimestre (CSV, Excel .xlsx o Parquet). Revisaremos el mapeo de "
        "columnas y la calidad antes de guardar nada.",
        "Upload the quarter's files (CSV, Excel .xlsx or Parquet). We check the column mapping "
        "and the quality before anything is stored.",
    ),
    "data.templates": ("Plantillas de archivos", "File templates"),
    "data.templates.help": (
        "Descarga una plantilla con las columnas esperadas.",
        "Download a template with the expected columns.",
    ),
    "data.uploader": ("Archivos", "Files"),
    "data.step1": ("1. Archivos y mapeo de columnas", "1. Files and column mapping"),
    "data.step2": ("2. Validación y calidad", "2. Validation and quality"),
    "data.step3": ("3. Guardar", "3. Store"),
    "data.kind": ("Tipo de archivo", "File kind"),
    "data.kind.auto": ("Detectar automáticamente", "Detect automatically"),
    "data.target": ("Columna de resultado (lo que el modelo aprenderá)",
                    "Outcome column (what the model will learn)"),
    "data.mapping.user": ("Columna del archivo", "Column in the file"),
    "data.mapping.canonical": ("Campo", "Field"),
    "data.mapping.confidence": ("Confianza", "Confidence"),
    "data.mapping.ignore": ("(ignorar)", "(ignore)"),
    "data.read_info": (
        "{rows} filas · formato {fmt} · codificación {enc} · separador «{sep}» · decimal «{dec}»",
        "{rows} rows · format {fmt} · encoding {enc} · delimiter '{sep}' · decimal '{dec}'",
    ),
    "data.errors": ("Errores ({n}): corrígelos y vuelve a subir el archivo",
                    "Errors ({n}): fix them and upload the file again"),
    "data.warnings": ("Advertencias ({n})", "Warnings ({n})"),
    "data.no_errors": ("Sin errores: los datos se pueden guardar.",
                       "No errors: the data can be stored."),
    "data.col.file": ("Archivo", "File"),
    "data.col.row": ("Fila", "Row"),
    "data.col.column": ("Columna", "Column"),
    "data.col.message": ("Problema", "Problem"),
    "data.download_report": ("Descargar el reporte (CSV)", "Download the report (CSV)"),
    "data.quality": ("Calidad de los datos", "Data quality"),
    "data.missing_chart": ("Valores faltantes por columna (%)", "Missing values per column (%)"),
    "data.balance_chart": ("Distribución del resultado", "Outcome distribution"),
    "data.commit": ("Guardar como nueva versión de datos", "Store as a new data version"),
    "data.commit.blocked": ("Corrige los errores antes de guardar.",
                            "Fix the errors before storing."),
    "data.stored": ("Guardado como versión {v}: {rows}.", "Stored as version {v}: {rows}."),
    "data.unchanged": (
        "Este contenido ya estaba guardado (versión {v}); no se cambió nada.",
        "This content was already stored (version {v}); nothing changed.",
    ),
    "data.rejected": ("No se guardó nada: {n} errores.", "Nothing was stored: {n} errors."),
    "data.versions": ("Versiones de datos", "Data versions"),
    "data.versions.empty": (
        "Aún no hay versiones. Sube los archivos del trimestre arriba.",
        "No versions yet. Upload the quarter's files above.",
    ),
    "data.col.version": ("Versión", "Version"),
    "data.col.when": ("Fecha", "Date"),
    "data.col.who": ("Subido por", "Uploaded by"),
    "data.col.kinds": ("Contenido", "Content"),
    "data.col.files": ("Archivos", "Files"),
    "data.col.rows": ("Filas", "Rows"),
    "data.empty_upload": (
        "Arrastra aquí uno o varios archivos: colaboradores, desempeño, programas, "
        "capacitaciones, o un archivo único (una fila por colaborador) con su resultado.",
        "Drop one or more files here: employees, performance, programs, training records, or "
        "a single file (one row per employee) with its outcome.",
    ),
    "data.working": ("Revisando los archivos…", "Checking the files…"),
    "data.storing": ("Guardando…", "Storing…"),
}

KIND_LABELS: dict[str, tuple[str, str]] = {
    "employees": ("Colaboradores", "Employees"),
    "performance": ("Desempeño trimestral", "Quarterly performance"),
    "programs": ("Catálogo de programas", "Program catalog"),
    "training_records": ("Capacitaciones realizadas", "Training records"),
    "job_roles": ("Puestos y habilidades requeridas", "Job roles and required skills"),
    "snapshot": ("Archivo único (una fila por colaborador)", "Single file (one row per employee)"),
}


def t(key: str, lang: str = DEFAULT_LANG, **fmt: object) -> str:
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**fmt) if fmt else text


def kind_label(kind: str, lang: str = DEFAULT_LANG) -> str:
    pair = KIND_LABELS.get(kind)
    if pair is None:
        return kind
    return pair[1] if lang == "en" else pair[0]


def fmt_number(value: float, decimals: int = 0) -> str:
    """Peru's format: comma for thousands, point for decimals (1,234.50)."""
    return f"{value:,.{decimals}f}"


def fmt_soles(value: float) -> str:
    return f"S/ {value:,.2f}"


def fmt_date(value) -> str:
    """dd/mm/yyyy, as dates are written in Peru."""
    return value.strftime("%d/%m/%Y") if value is not None else ""
