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
    "home.changes": ("Qué cambió", "What changed"),
    "home.moved": ("{up} personas subieron y {down} bajaron de calificación respecto a {prev}.",
                   "{up} people moved up and {down} moved down in rating since {prev}."),
    "home.at_risk": ("{n} personas con riesgo de una calificación baja el próximo trimestre "
                     "(según el modelo; es una alerta, no un juicio).",
                     "{n} people at risk of a low rating next quarter (per the model; a "
                     "warning, not a judgement)."),
    "home.pending": ("{n} solicitudes de capacitación esperan tu decisión.",
                     "{n} training requests are waiting for your decision."),
    "home.own_plan": ("Tu plan tiene {n} programas recomendados.",
                      "Your plan has {n} recommended programs."),
    "home.own_requests": ("Tienes {n} solicitudes abiertas.", "You have {n} open requests."),
    "home.next": ("Siguientes pasos", "Next steps"),
    "home.go.data": ("Subir datos y entrenar el modelo", "Upload data and train the model"),
    "home.go.team": ("Ver el equipo y sus planes", "See the team and their plans"),
    "home.go.requests": ("Revisar las solicitudes", "Review the requests"),
    "home.go.plan": ("Ver tu plan de capacitación", "See your training plan"),
    "home.go.own_requests": ("Seguir tus solicitudes", "Follow your requests"),
    "home.go.gaps": ("Explorar las brechas y la demanda", "Explore gaps and demand"),
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
    "team.col.requests": ("Solicitudes", "Requests"),
    "team.col.history": ("Historial", "History"),
    "team.col.risk": ("Riesgo", "Risk"),
    "team.col.rating_short": ("Calif.", "Rating"),
    "team.col.program": ("Programa recomendado", "Recommended program"),
    "team.risk_filter": ("Riesgo", "Risk"),
    "team.risk.all": ("Todas las personas", "Everyone"),
    "team.risk.at_risk": ("En riesgo", "At risk"),
    "team.risk.not_at_risk": ("Sin riesgo", "Not at risk"),
    "team.risk.no_score": ("Sin puntaje del modelo", "No model score"),
    "team.risk_help": (
        "Riesgo: probabilidad, según el modelo, de que la próxima calificación sea 2 o menos. "
        "«En riesgo» desde {thr} (el umbral del modelo). Es orientativo: úsalo para conversar, "
        "no para decidir.",
        "Risk: the model's probability that the next rating is 2 or lower. 'At risk' from "
        "{thr} (the model's threshold). It is advisory: use it to start a conversation, not "
        "to decide.",
    ),
    "team.no_risk": (
        "Aún no hay riesgo ni programas recomendados: RR.HH. debe entrenar el modelo en "
        "**Datos**.",
        "No risk or recommended programs yet: HR has to train the model in **Data**.",
    ),
    "team.no_match": ("Nadie coincide con el filtro.", "Nobody matches the filter."),
    "team.click_hint": ("Haz clic en una fila para abrir el plan de esa persona.",
                        "Click a row to open that person's plan."),
    "team.req.requested": ("{n} pendiente(s)", "{n} pending"),
    "team.req.approved": ("{n} aprobada(s)", "{n} approved"),
    "team.req.rejected": ("{n} rechazada(s)", "{n} rejected"),
    "team.req.completed": ("{n} completada(s)", "{n} completed"),
    "team.req.none": ("—", "—"),
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
    "gaps.tab.gaps": ("Brechas", "Gaps"),
    "gaps.tab.demand": ("Demanda de programas", "Program demand"),
    "gaps.tab.effectiveness": ("Efectividad", "Effectiveness"),
    "gaps.tab.cohort": ("Armar una cohorte", "Build a cohort"),
    "gaps.tab.feedback": ("«No es para mí»", "'Not for me'"),
    "gaps.no_plans.hr": (
        "Aún no hay planes. Sube los datos y entrena el modelo en **Datos**; luego verás aquí "
        "la demanda, la efectividad y las cohortes.",
        "No plans yet. Upload the data and train the model in **Data**; then demand, "
        "effectiveness and cohorts show up here.",
    ),
    "gaps.no_plans.other": (
        "Aún no hay planes. RR.HH. debe subir los datos y entrenar el modelo en **Datos**.",
        "No plans yet. HR has to upload the data and train the model in **Data**.",
    ),
    "gaps.all_locations": ("Todas las sedes", "All locations"),
    "gaps.demand": ("Demanda por programa", "Demand per program"),
    "gaps.demand.intro": (
        "Personas que tienen el programa entre sus 3 primeras recomendaciones, por sede y "
        "trimestre del plan, con las horas, el costo y las sesiones necesarias. No cuenta a "
        "quien lo descartó con «No es para mí» ni a quien se opuso a la evaluación "
        "automatizada.",
        "People who have the program among their top 3 recommendations, by location and by the "
        "plan's quarter, with the hours, the cost and the sessions needed. People who set it "
        "aside with 'Not for me' or objected to automated scoring are not counted.",
    ),
    "gaps.demand.period": ("Trimestre del plan", "Plan quarter"),
    "gaps.demand.session_size": ("Personas por sesión", "People per session"),
    "gaps.demand.locations": ("Sedes", "Locations"),
    "gaps.demand.seats": ("Vacantes necesarias", "Seats needed"),
    "gaps.demand.sessions": ("Sesiones", "Sessions"),
    "gaps.demand.hours": ("Horas-persona", "Person-hours"),
    "gaps.demand.cost": ("Costo total", "Total cost"),
    "gaps.demand.none": ("Nadie tiene programas recomendados en esas sedes.",
                         "Nobody has recommended programs at those locations."),
    "gaps.demand.people_top3": ("Personas (top 3)", "People (top 3)"),
    "gaps.demand.chart": ("Demanda por programa y sede · {period}",
                          "Demand per program and location · {period}"),
    "gaps.demand.by_quarter": ("Demanda por trimestre del plan", "Demand per plan quarter"),
    "gaps.demand.download": ("Descargar la demanda (CSV)", "Download the demand (CSV)"),
    "gaps.col.program": ("Programa", "Program"),
    "gaps.col.program_id": ("Código", "Code"),
    "gaps.col.people": ("Personas", "People"),
    "gaps.col.sessions": ("Sesiones (de {n})", "Sessions (of {n})"),
    "gaps.col.hours": ("Horas c/u", "Hours each"),
    "gaps.col.total_hours": ("Horas-persona", "Person-hours"),
    "gaps.col.cost": ("Costo c/u", "Cost each"),
    "gaps.col.total_cost": ("Costo total", "Total cost"),
    "gaps.eff": ("Efectividad medida por programa", "Measured effectiveness per program"),
    "gaps.eff.intro": (
        "Ganancia que estima el modelo (promedio de sus recomendaciones) frente al cambio "
        "observado en la calificación del trimestre siguiente de quienes completaron el "
        "programa, y frente al cambio de quienes no se capacitaron esos mismos trimestres. Es "
        "una comparación antes/después, no una prueba causal. Solo programas con al menos {n} "
        "personas que lo completaron.",
        "Gain the model estimates (mean of its recommendations) against the observed change in "
        "the next quarter's rating of the people who completed the program, and against the "
        "change of those who took no training in the same quarters. It is a before/after "
        "comparison, not a causal test. Only programs completed by at least {n} people.",
    ),
    "gaps.eff.empty": (
        "Aún no hay programas con al menos {n} personas que los completaron y una calificación "
        "del trimestre siguiente.",
        "No program yet has at least {n} people who completed it and a rating for the "
        "following quarter.",
    ),
    "gaps.eff.hidden": (
        "{k} programa(s) con menos de {n} personas que los completaron no se muestran.",
        "{k} program(s) completed by fewer than {n} people are not shown.",
    ),
    "gaps.eff.chart": ("Estimado frente a observado (puntos de calificación)",
                       "Estimated against observed (rating points)"),
    "gaps.eff.computing": ("Calculando la efectividad de los programas…",
                           "Computing the programs' effectiveness…"),
    "gaps.eff.points": ("Puntos de calificación", "Rating points"),
    "gaps.eff.estimated_gain": ("Ganancia estimada (modelo)", "Estimated gain (model)"),
    "gaps.eff.estimated_short": ("Estimado", "Estimated"),
    "gaps.eff.observed_short": ("Observado", "Observed"),
    "gaps.eff.baseline_short": ("Sin capacitación", "No training"),
    "gaps.eff.observed_change": ("Cambio observado", "Observed change"),
    "gaps.eff.baseline_change": ("Cambio sin capacitación", "Change without training"),
    "gaps.eff.completions": ("Lo completaron", "Completed"),
    "gaps.eff.before": ("Calif. antes", "Rating before"),
    "gaps.eff.after": ("Calif. después", "Rating after"),
    "gaps.eff.skill_change": ("Habilidad objetivo", "Targeted skill"),
    "gaps.eff.skill_change_help": (
        "Cambio promedio, del trimestre del programa al siguiente, en las habilidades que el "
        "programa entrena (niveles 1–5).",
        "Mean change, from the program's quarter to the next, in the skills the program "
        "trains (levels 1–5).",
    ),
    "gaps.eff.skill_baseline": ("Habilidad, sin capacitación", "Skill, no training"),
    "gaps.eff.recommended": ("Recomendado a", "Recommended to"),
    "gaps.cohort": ("Armar una cohorte", "Build a cohort"),
    "gaps.cohort.intro": (
        "Personas que tienen el programa entre sus 3 primeras recomendaciones en los planes "
        "más recientes. La lista y el CSV solo tienen nombre, correo y departamento.",
        "People who have the program among their top 3 recommendations in the newest plans. "
        "The list and the CSV hold only name, e-mail and department.",
    ),
    "gaps.cohort.program": ("Programa", "Program"),
    "gaps.cohort.option": ("{title} · {n} personas", "{title} · {n} people"),
    "gaps.cohort.count": ("{n} personas · planes de {period}", "{n} people · plans of {period}"),
    "gaps.cohort.empty": ("Nadie con ese programa en esas sedes.",
                          "Nobody with that program at those locations."),
    "gaps.cohort.download": ("Descargar la cohorte (CSV)", "Download the cohort (CSV)"),
    "cohort.col.full_name": ("Nombre", "Name"),
    "cohort.col.email": ("Correo", "E-mail"),
    "cohort.col.department": ("Departamento", "Department"),
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
    "plan.interval": ("Ganancia esperada en la calificación del próximo trimestre: probablemente "
                      "entre {lo:+.2f} y {hi:+.2f} puntos.",
                      "Expected gain in next quarter's rating: likely between {lo:+.2f} and "
                      "{hi:+.2f} points."),
    "plan.no_gain": ("El modelo no espera que este programa suba tu calificación el próximo "
                     "trimestre; aparece porque no hay otro mejor disponible para ti. Puede "
                     "servirte por otras razones: convérsalo con tu jefatura.",
                     "The model does not expect this program to raise your rating next "
                     "quarter; it is listed because nothing better is available to you. It may "
                     "help for other reasons: talk it over with your manager."),
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
    # plan page: PDF download
    "plan.pdf.download": ("Descargar el plan (PDF)", "Download the plan (PDF)"),
    "plan.pdf.page": ("Página {n}", "Page {n}"),
    "plan.pdf.date": ("Fecha: {date}", "Date: {date}"),
    "plan.pdf.gain_only": ("{g:+.2f} puntos", "{g:+.2f} points"),
    "plan.pdf.disclaimer": (
        "Estas recomendaciones provienen de un modelo estadístico: son orientativas, y una "
        "persona las revisa y aprueba antes de cualquier inscripción.",
        "These recommendations come from a statistical model: they are advisory, and a person "
        "reviews and approves them before any enrolment.",
    ),
    # plan page: what-if panel
    "whatif.title": ("¿Y si…? Simula cambios en habilidades e indicadores",
                     "What if? Try changes in skills and KPIs"),
    "whatif.intro": (
        "Mueve los niveles de habilidad y los indicadores para ver cómo cambiaría la "
        "calificación prevista del próximo trimestre. Solo se mueven habilidades e "
        "indicadores; la edad, el género, la antigüedad y el área nunca. Es una simulación "
        "del modelo, no una promesa.",
        "Move the skill levels and KPIs to see how the predicted rating for next quarter "
        "would change. Only skills and KPIs move; age, gender, tenure and department never "
        "do. It is the model's simulation, not a promise.",
    ),
    "whatif.skills": ("Habilidades (nivel 1 a 5)", "Skills (level 1 to 5)"),
    "whatif.kpis": ("Indicadores", "KPIs"),
    "whatif.predicted": ("Calificación prevista", "Predicted rating"),
    "whatif.now": ("Predicción actual: {v}", "Current prediction: {v}"),
    "whatif.risk": ("Riesgo de calificación baja", "Risk of a low rating"),
    "whatif.risk_now": ("Probabilidad de una calificación de 2 o menos el próximo trimestre. "
                        "Riesgo actual: {v}",
                        "Probability of a rating of 2 or lower next quarter. Current risk: {v}"),
    "whatif.reset": ("Volver a los valores actuales", "Back to current values"),
    "whatif.shap_title": ("Qué sube y qué baja la calificación simulada",
                          "What raises and lowers the simulated rating"),
    "whatif.axis": ("Aporte (puntos de calificación)", "Contribution (rating points)"),
    "whatif.series.new": ("Con los cambios", "With the changes"),
    "whatif.series.now": ("Hoy", "Today"),
    "whatif.base": (
        "El modelo parte de {base} (el promedio); cada barra suma o resta puntos hasta llegar a "
        "{pred}. Datos del trimestre {period}.",
        "The model starts from {base} (the average); each bar adds or takes away points to "
        "reach {pred}. Data of quarter {period}.",
    ),
    "whatif.no_model": ("La simulación estará disponible cuando RR.HH. entrene el modelo.",
                        "The simulation will be available once HR trains the model."),
    "whatif.no_data": ("No hay datos suficientes de esta persona para simular.",
                       "There is not enough data about this person to simulate."),
    "whatif.nothing": ("No hay habilidades ni indicadores evaluados que se puedan mover.",
                       "There are no assessed skills or KPIs to move."),
    "whatif.loading": ("Preparando la simulación…", "Preparing the simulation…"),
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
    "train.activated": ("El modelo nuevo (versión {v}) es ahora el activo.",
                        "The new model (version {v}) is now the active one."),
    "train.candidate": (
        "El modelo nuevo (versión {v}) quedó como candidato: no mejora al activo en el mismo "
        "conjunto de prueba.",
        "The new model (version {v}) stays a candidate: it does not beat the active one on "
        "the same hold-out.",
    ),
    "train.compare": ("Modelo nuevo frente al activo", "New model against the active one"),
    "train.col.metric": ("Métrica", "Metric"),
    "train.col.new": ("Nuevo (v{v})", "New (v{v})"),
    "train.col.old": ("Activo antes (v{v})", "Active before (v{v})"),
    "train.col.better": ("Mejor", "Better"),
    "train.compare.note": (
        "Cada columna viene del conjunto de prueba de su propio modelo; la decisión de "
        "promover usa el mismo conjunto de prueba para ambos (abajo).",
        "Each column comes from its own model's hold-out; the promotion decision scores both "
        "on the same hold-out (below).",
    ),
    "train.no_previous": ("No había un modelo activo con el que comparar.",
                          "There was no active model to compare with."),
    "train.same_holdout": (
        "En el mismo conjunto de prueba: {metric} {new} (nuevo) frente a {old} (versión {v}).",
        "On the same hold-out: {metric} {new} (new) against {old} (version {v}).",
    ),
    "train.promote.help": (
        "Puedes activarlo de todos modos; quedará registrado en la auditoría y podrás volver "
        "atrás en la página Modelo.",
        "You can activate it anyway; it is written to the audit log and you can roll back on "
        "the Model page.",
    ),
    "train.promote": ("Promover el modelo nuevo (versión {v})",
                      "Promote the new model (version {v})"),
    "train.rollback_hint": (
        "Si el modelo nuevo no te convence, vuelve a la versión {v} en la página Modelo.",
        "If the new model does not convince you, roll back to version {v} on the Model page.",
    ),
    "train.dismiss": ("Ocultar el resultado", "Hide the result"),
    # model page
    "page.model": ("Modelo", "Model"),
    "model.title": ("Modelo", "Model"),
    "model.intro": (
        "Qué tan bien predice el modelo activo, qué variables lo mueven, sus versiones, si los "
        "datos cambiaron y si trata por igual a los distintos grupos.",
        "How well the active model predicts, which variables drive it, its versions, whether "
        "the data changed and whether it treats groups alike.",
    ),
    "model.empty": (
        "Aún no hay ningún modelo. Sube datos y entrena en **Datos** (botón «Entrenar y "
        "generar planes»).",
        "There is no model yet. Upload data and train in **Data** (button 'Train and build "
        "plans').",
    ),
    "model.no_active": (
        "Ningún modelo está activo. Elige una versión abajo y promuévela.",
        "No model is active. Pick a version below and promote it.",
    ),
    "model.pick_kind": ("Modelo", "Model"),
    "model.kind.history": ("Historial trimestral", "Quarterly history"),
    "model.kind.snapshot": ("Archivo único", "Single file"),
    "model.status.active": ("Activo", "Active"),
    "model.status.candidate": ("Candidato", "Candidate"),
    "model.status.retired": ("Retirado", "Retired"),
    "model.target.history": ("Calificación del próximo trimestre", "Next quarter's rating"),
    "model.metrics": ("Métricas del modelo activo (versión {v}) en el conjunto de prueba",
                      "Metrics of the active model (version {v}) on the hold-out"),
    "model.metrics.caption": (
        "Medidas en {holdout} con un ajuste que no vio esas filas. Resultado: {target}.",
        "Measured on {holdout} by a fit that never saw those rows. Outcome: {target}.",
    ),
    "model.holdout.history": ("el trimestre {period} ({n} filas)", "quarter {period} ({n} rows)"),
    "model.holdout.snapshot": (
        "el {pct}% de prueba estratificado de la versión de datos {dv} ({n} filas)",
        "the stratified {pct}% hold-out of data version {dv} ({n} rows)",
    ),
    "model.metrics.none": ("Esta versión no guarda métricas.", "This version stores no metrics."),
    "model.metric.auc": ("AUC", "AUC"),
    "model.metric.precision": ("Precisión", "Precision"),
    "model.metric.recall": ("Sensibilidad", "Recall"),
    "model.metric.f1": ("F1", "F1"),
    "model.metric.accuracy": ("Exactitud", "Accuracy"),
    "model.metric.mae": ("Error medio", "Mean error"),
    "model.metric.mae_naive": ("Error si nada cambia", "Error if nothing changes"),
    "model.metric.rmse": ("RMSE", "RMSE"),
    "model.metric.brier": ("Brier", "Brier"),
    "model.help.auc": (
        "Qué tan bien ordena el modelo a quien tiene el resultado por encima de quien no: "
        "0.5 es azar, 1 es perfecto.",
        "How well the model ranks those with the outcome above those without: 0.5 is chance, "
        "1 is perfect.",
    ),
    "model.help.precision": ("De las personas marcadas, qué parte lo era de verdad.",
                             "Of the people flagged, the share that really were."),
    "model.help.recall": ("Sensibilidad (recall): de las personas que lo eran, qué parte "
                          "marcó el modelo.",
                          "Of the people who really were, the share the model flagged."),
    "model.group.binary.history": ("Riesgo de calificación baja (≤ 2)",
                                   "Risk of a low rating (≤ 2)"),
    "model.group.binary.snapshot": ("Clasificación: {target}", "Classification: {target}"),
    "model.group.rating": ("Calificación prevista (1 a 5)", "Predicted rating (1 to 5)"),
    "model.help.f1": ("Equilibrio entre precisión y sensibilidad (media armónica).",
                      "Balance of precision and recall (harmonic mean)."),
    "model.help.accuracy": ("Parte de las personas clasificadas correctamente.",
                            "Share of people classified correctly."),
    "model.help.mae": ("Error absoluto medio de la calificación prevista (puntos de 1 a 5).",
                       "Mean absolute error of the predicted rating (points on 1-5)."),
    "model.help.mae_naive": (
        "El mismo error si se predijera que la calificación no cambia: el modelo debe mejorarlo.",
        "The same error if the rating were predicted not to change: the model should beat it.",
    ),
    "model.help.rmse": ("Raíz del error cuadrático medio: castiga más los errores grandes.",
                        "Root mean squared error: punishes large errors more."),
    "model.help.brier": ("Error cuadrático medio de la probabilidad (0 es perfecto).",
                         "Mean squared error of the probability (0 is perfect)."),
    "model.class.low": ("Calificación baja (≤ 2)", "Low rating (≤ 2)"),
    "model.class.not_low": ("No baja (> 2)", "Not low (> 2)"),
    "model.class.other": ("{target}: otro valor", "{target}: other value"),
    "model.cm.title": ("Matriz de confusión", "Confusion matrix"),
    "model.cm.actual": ("Real", "Actual"),
    "model.cm.predicted": ("Predicho", "Predicted"),
    "model.cm.caption": (
        "Umbral {thr}: se marca «{positive}» a quien tiene una probabilidad igual o mayor.",
        "Threshold {thr}: '{positive}' is flagged at this probability or above.",
    ),
    "model.cm.none": (
        "Esta versión no guarda la matriz de confusión de su conjunto de prueba.",
        "This version stores no confusion matrix of its hold-out.",
    ),
    "model.cal.title": ("Curva de calibración", "Calibration curve"),
    "model.cal.ideal": ("Calibración perfecta", "Perfect calibration"),
    "model.cal.model": ("Modelo", "Model"),
    "model.cal.predicted": ("Probabilidad predicha", "Predicted probability"),
    "model.cal.observed": ("Proporción observada", "Observed share"),
    "model.cal.count": ("Filas", "Rows"),
    "model.cal.caption": (
        "Cada punto agrupa filas de prueba con una probabilidad parecida de «{positive}»; sobre "
        "la diagonal, lo predicho coincide con lo observado. El modelo da más peso a la clase "
        "poco frecuente, así que sus probabilidades tienden a quedar altas: léelas como un "
        "puntaje para ordenar.",
        "Each point groups hold-out rows with a similar probability of '{positive}'; on the "
        "diagonal, predicted matches observed. The model gives the rare class more weight, so "
        "its probabilities tend to run high: read them as a score for ranking.",
    ),
    "model.cal.none": ("Esta versión no guarda la tabla de calibración.",
                       "This version stores no calibration table."),
    "model.shap.title": ("Importancia global de las variables (SHAP)",
                         "Global feature importance (SHAP)"),
    "model.shap.which": ("Explicar", "Explain"),
    "model.shap.rating": ("Calificación prevista", "Predicted rating"),
    "model.shap.low": ("Riesgo de calificación baja", "Risk of a low rating"),
    "model.shap.axis": ("Impacto medio |SHAP|", "Mean impact |SHAP|"),
    "model.shap.caption": (
        "Promedio del valor absoluto de la contribución SHAP de cada variable en las {n} filas "
        "del conjunto de prueba; se muestran las {top} más importantes.",
        "Mean absolute SHAP contribution of each variable over the {n} hold-out rows; the "
        "{top} most important are shown.",
    ),
    "model.shap.none": ("Las filas de prueba de esta versión ya no están en la base de datos.",
                        "This version's hold-out rows are no longer in the database."),
    "model.working": ("Calculando…", "Computing…"),
    "model.versions": ("Versiones del modelo", "Model versions"),
    "model.versions.only_active": ("Solo existe la versión activa.",
                                   "Only the active version exists."),
    "model.versions.pick": ("Versión a activar", "Version to activate"),
    "model.col.version": ("Versión", "Version"),
    "model.col.status": ("Estado", "Status"),
    "model.col.kind": ("Tipo", "Kind"),
    "model.col.target": ("Resultado", "Outcome"),
    "model.col.created": ("Creada", "Created"),
    "model.col.by": ("Por", "By"),
    "model.col.data": ("Datos", "Data"),
    "model.col.metric": ("Métrica principal", "Main metric"),
    "model.col.note": ("Nota", "Note"),
    "model.note.refused": ("Rechazada: peor que el activo", "Refused: worse than the active"),
    "model.note.forced": ("Promovida a la fuerza", "Force-promoted"),
    "model.promote.help": (
        "Un candidato se activa solo si no es peor que el modelo activo en el mismo conjunto de "
        "prueba. Marca la casilla para activarlo de todos modos.",
        "A candidate becomes active only if it is not worse than the active model on the same "
        "hold-out. Tick the box to activate it anyway.",
    ),
    "model.promote.force": ("Activar aunque sea peor que el modelo activo",
                            "Activate even if worse than the active model"),
    "model.promote": ("Promover la versión {v}", "Promote version {v}"),
    "model.rollback.help": (
        "Volver a una versión anterior la activa y retira la actual. Queda en el registro de "
        "auditoría.",
        "Rolling back makes an earlier version active and retires the current one. It is "
        "written to the audit log.",
    ),
    "model.rollback": ("Volver a la versión {v}", "Roll back to version {v}"),
    "model.changing": ("Cambiando el modelo activo (y calculando los planes si faltan)…",
                       "Changing the active model (and computing plans if missing)…"),
    "model.changed": ("La versión {v} es ahora el modelo activo.",
                      "Version {v} is now the active model."),
    "model.refused": ("La versión {v} no se activó.", "Version {v} was not activated."),
    "model.detail": ("Detalle técnico: {reason}", "Technical detail: {reason}"),
    # data drift (model page)
    "drift.title": ("Cambio en los datos (PSI)", "Data drift (PSI)"),
    "drift.none": (
        "Hacen falta al menos dos cargas o dos trimestres de datos para medir el cambio.",
        "At least two uploads or two quarters of data are needed to measure drift.",
    ),
    "drift.basis.uploads": ("Comparación entre las dos últimas cargas: {ref} frente a {cur}.",
                            "Comparison of the last two uploads: {ref} against {cur}."),
    "drift.basis.quarters": (
        "Solo hay una carga con datos trimestrales: se comparan sus dos últimos trimestres, "
        "{ref} frente a {cur}.",
        "There is only one upload with quarterly data: its last two quarters are compared, "
        "{ref} against {cur}.",
    ),
    "drift.basis.snapshots": ("Comparación entre las dos últimas cargas: {ref} frente a {cur}.",
                              "Comparison of the last two uploads: {ref} against {cur}."),
    "drift.side.upload": ("versión {v} ({period})", "version {v} ({period})"),
    "drift.side.quarter": ("{period}", "{period}"),
    "drift.side.snapshot": ("versión {v}", "version {v}"),
    "drift.alert": (
        "{n} variables cambiaron mucho (PSI > 0.25): revisa la carga o vuelve a entrenar.",
        "{n} variables shifted strongly (PSI > 0.25): check the upload or retrain.",
    ),
    "drift.watch_note": (
        "{n} variables para vigilar (PSI entre 0.1 y 0.25); ninguna cambió mucho.",
        "{n} variables to watch (PSI between 0.1 and 0.25); none shifted strongly.",
    ),
    "drift.ok": ("Ninguna variable cambió de forma notable (PSI < 0.1).",
                 "No variable changed notably (PSI < 0.1)."),
    "drift.chart": ("PSI por variable", "PSI per variable"),
    "drift.col.feature": ("Variable", "Variable"),
    "drift.col.level": ("Nivel", "Level"),
    "drift.col.n": ("Antes / ahora", "Before / now"),
    "drift.level.stable": ("Estable", "Stable"),
    "drift.level.watch": ("Vigilar", "Watch"),
    "drift.level.shift": ("Cambio fuerte", "Strong shift"),
    "drift.level.na": ("Sin dato", "No data"),
    "drift.rating": ("Calificación de desempeño", "Performance rating"),
    "drift.caption": (
        "PSI (índice de estabilidad poblacional) compara la distribución de cada variable: "
        "menos de 0.1 estable, de 0.1 a 0.25 vigilar, más de 0.25 cambio fuerte.",
        "PSI (population stability index) compares each variable's distribution: below 0.1 "
        "stable, 0.1 to 0.25 watch, above 0.25 strong shift.",
    ),
    # fairness audit (model page)
    "fair.title": ("Auditoría de equidad", "Fairness audit"),
    "fair.none": ("No hay personas evaluadas por el modelo activo.",
                  "Nobody is scored by the active model."),
    "fair.caption": (
        "{n} personas evaluadas ({period}). Tasa por grupo y razón de cuatro quintos (tasa del "
        "grupo / tasa más alta); bajo 0.8 se marca para revisión. Los grupos de menos de {min} "
        "personas no se muestran; «Sin dato» se muestra pero no entra en la razón.",
        "{n} people scored ({period}). Rate per group and four-fifths ratio (group rate / "
        "highest rate); below 0.8 is flagged for review. Groups under {min} people are not "
        "shown; 'Unknown' is shown but left out of the ratio.",
    ),
    "fair.opted": (
        "No incluye a {n} personas que se opusieron a la evaluación automatizada.",
        "Leaves out {n} people who objected to automated scoring.",
    ),
    "fair.latest_snapshot": ("última carga de archivo único", "latest single-file upload"),
    "fair.snapshot_note": (
        "Modelo de archivo único: se audita la tasa de predicción positiva; este modelo no "
        "genera planes.",
        "Single-file model: the rate of positive predictions is audited; this model makes no "
        "plans.",
    ),
    "fair.alert": ("Razón bajo 0.8 en: {items}. Revisa si la diferencia tiene una causa "
                   "legítima.",
                   "Ratio below 0.8 in: {items}. Check whether the difference has a legitimate "
                   "cause."),
    "fair.ok": ("Ninguna razón de cuatro quintos está bajo 0.8.",
                "No four-fifths ratio is below 0.8."),
    "fair.dim.gender": ("Género", "Gender"),
    "fair.dim.age_band": ("Rango de edad", "Age band"),
    "fair.dim.location": ("Sede", "Location"),
    "fair.col.group": ("Grupo", "Group"),
    "fair.col.n": ("Personas", "People"),
    "fair.ratio": ("Razón 4/5", "4/5 ratio"),
    "fair.rate_axis": ("Tasa (%)", "Rate (%)"),
    "fair.outcome.flag.history": ("En riesgo", "At risk"),
    "fair.outcome.flag.snapshot": ("Predicción positiva", "Positive prediction"),
    "fair.outcome.recommended": ("Con plan", "With a plan"),
    "fair.hidden": (
        "{groups} grupos con menos de {min} personas no se muestran ({people} personas).",
        "{groups} groups under {min} people are not shown ({people} people).",
    ),
    "fair.no_groups": ("Ningún grupo llega a {min} personas: no se muestra nada.",
                       "No group reaches {min} people: nothing is shown."),
    "fair.unknown": ("Sin dato", "Unknown"),
    "fair.gender.female": ("Mujer", "Woman"),
    "fair.gender.male": ("Hombre", "Man"),
    "fair.gender.other": ("Otro", "Other"),
    "fair.how": (
        "«En riesgo»: el modelo estima una probabilidad de calificación baja (≤ 2) igual o "
        "mayor a su umbral en el último trimestre. «Con plan»: la persona tiene al menos un "
        "programa recomendado con el modelo activo. Tasas calculadas con MetricFrame de "
        "fairlearn.",
        "'At risk': the model puts the probability of a low rating (≤ 2) at or above its "
        "threshold in the latest quarter. 'With a plan': the person has at least one program "
        "recommended by the active model. Rates computed with fairlearn's MetricFrame.",
    ),
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
