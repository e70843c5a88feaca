"""Controlled vocabularies: GSBPM 5.1 and GAMSO from the data files beside this module,
and the project's own enumerations (stage, openness, hosting, ...).

The data files are the authority: a code is valid when it is in the file, and a
"code name" pair is valid only when the name is the one the file gives for the code.
"""

import json
from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel

_DIR = Path(__file__).parent


class Term(BaseModel):
    code: str
    name: str
    parent: str | None = None


class LifecycleStage(StrEnum):
    idea = "idea"
    experiment = "experiment"
    pilot = "pilot"
    production = "production"
    retired = "retired"


class Scope(StrEnum):
    production = "production"
    corporate = "corporate"
    both = "both"


class OrganisationType(StrEnum):
    nso = "nso"
    other_national_producer = "other_national_producer"
    central_bank = "central_bank"
    international_org = "international_org"
    government_other = "government_other"
    academic = "academic"
    vendor = "vendor"


class TaskType(StrEnum):
    classification_coding = "classification_coding"
    information_extraction = "information_extraction"
    summarisation = "summarisation"
    drafting_text_generation = "drafting_text_generation"
    translation = "translation"
    code_generation = "code_generation"
    code_translation = "code_translation"
    question_answering_chatbot = "question_answering_chatbot"
    semantic_search_rag = "semantic_search_rag"
    metadata_generation = "metadata_generation"
    classification_maintenance = "classification_maintenance"
    editing_imputation = "editing_imputation"
    questionnaire_design_testing = "questionnaire_design_testing"
    survey_followup_questions = "survey_followup_questions"
    respondent_feedback_analysis = "respondent_feedback_analysis"
    web_content_classification = "web_content_classification"
    synthetic_data_generation = "synthetic_data_generation"
    analysis_assistance = "analysis_assistance"
    transcription = "transcription"
    agentic_workflow = "agentic_workflow"
    other = "other"


class GenAIPattern(StrEnum):
    prompting = "prompting"
    rag = "rag"
    constrained_generation = "constrained_generation"
    fine_tuning = "fine_tuning"
    embeddings_only = "embeddings_only"
    agent_tool_use = "agent_tool_use"
    mcp = "mcp"
    copilot_assistant = "copilot_assistant"
    ensemble = "ensemble"
    none = "none"
    unknown = "unknown"


class AIClassification(StrEnum):
    generative_ai = "generative_ai"
    nlp = "nlp"
    classical_ml = "classical_ml"
    computer_vision = "computer_vision"
    agentic_ai = "agentic_ai"
    reinforcement_learning = "reinforcement_learning"
    other = "other"


class ModelOpenness(StrEnum):
    closed_api = "closed_api"
    closed_private_instance = "closed_private_instance"
    open_weights_restricted = "open_weights_restricted"
    open_weights_permissive = "open_weights_permissive"
    fully_open = "fully_open"
    unknown = "unknown"


class Hosting(StrEnum):
    public_saas = "public_saas"
    vendor_cloud_tenant = "vendor_cloud_tenant"
    org_cloud_self_hosted = "org_cloud_self_hosted"
    on_premise = "on_premise"
    local = "local"
    unknown = "unknown"


class ModelRole(StrEnum):
    generator = "generator"
    embedder = "embedder"
    classifier = "classifier"
    reranker = "reranker"
    judge = "judge"


class DataSensitivity(StrEnum):
    public = "public"
    internal = "internal"
    confidential_statistical = "confidential_statistical"
    personal = "personal"


class HumanOversight(StrEnum):
    human_in_the_loop = "human_in_the_loop"
    human_on_the_loop = "human_on_the_loop"
    none = "none"
    not_applicable = "not_applicable"
    unknown = "unknown"


class Risk(StrEnum):
    hallucination = "hallucination"
    numeric_inaccuracy = "numeric_inaccuracy"
    outdated_information = "outdated_information"
    confidentiality_breach = "confidentiality_breach"
    personal_data = "personal_data"
    bias_fairness = "bias_fairness"
    prompt_injection_security = "prompt_injection_security"
    ip_copyright = "ip_copyright"
    reproducibility_versioning = "reproducibility_versioning"
    explainability = "explainability"
    vendor_lockin_sovereignty = "vendor_lockin_sovereignty"
    cost = "cost"
    environmental_impact = "environmental_impact"
    skills_gap = "skills_gap"
    automation_bias_overreliance = "automation_bias_overreliance"
    reputational_trust = "reputational_trust"
    legal_compliance = "legal_compliance"
    web_traffic_disintermediation = "web_traffic_disintermediation"
    other = "other"


class BenefitType(StrEnum):
    efficiency = "efficiency"
    cost = "cost"
    quality = "quality"
    timeliness = "timeliness"
    accessibility = "accessibility"
    respondent_burden = "respondent_burden"
    coverage = "coverage"


class QualityDimension(StrEnum):
    accuracy = "accuracy"
    explainability = "explainability"
    reproducibility = "reproducibility"
    timeliness = "timeliness"
    cost_effectiveness = "cost_effectiveness"


class SourceKind(StrEnum):
    primary = "primary"
    secondary = "secondary"


class Confidence(StrEnum):
    V = "V"
    S = "S"
    R = "R"


class DocumentType(StrEnum):
    white_paper = "white_paper"
    report = "report"
    chapter = "chapter"
    guideline = "guideline"
    recommendation = "recommendation"
    framework = "framework"
    standard = "standard"
    glossary = "glossary"
    presentation = "presentation"
    dataset = "dataset"
    code_repo = "code_repo"
    other = "other"


ENUMS: dict[str, type[StrEnum]] = {
    "lifecycle_stage": LifecycleStage,
    "scope": Scope,
    "organisation_type": OrganisationType,
    "task_types": TaskType,
    "genai_patterns": GenAIPattern,
    "ai_classification": AIClassification,
    "model_openness": ModelOpenness,
    "hosting": Hosting,
    "model_role": ModelRole,
    "data_sensitivity": DataSensitivity,
    "human_oversight": HumanOversight,
    "risks": Risk,
    "benefit_type": BenefitType,
    "quality_dimensions": QualityDimension,
    "document_type": DocumentType,
}


@cache
def gsbpm() -> dict[str, Term]:
    """GSBPM 5.1 phases and sub-processes by code, from the published JSON."""
    data = json.loads((_DIR / "gsbpm-5.1.json").read_text(encoding="utf-8"))
    terms: dict[str, Term] = {}
    for phase in data["phases"]:
        terms[phase["phase_code"]] = Term(code=phase["phase_code"], name=phase["phase_name"])
        for sub in phase["sub_processes"]:
            code = sub["sub_process_code"]
            terms[code] = Term(code=code, name=sub["sub_process_name"], parent=phase["phase_code"])
    return terms


@cache
def gamso() -> dict[str, Term]:
    """GAMSO 1.2 activity areas and activities by code."""
    data = json.loads((_DIR / "gamso-1.2.json").read_text(encoding="utf-8"))
    terms: dict[str, Term] = {}
    for area in data["areas"]:
        terms[area["code"]] = Term(code=area["code"], name=area["name"])
        for act in area["activities"]:
            terms[act["code"]] = Term(code=act["code"], name=act["name"], parent=area["code"])
    return terms


def normalise_code(value: str, vocabulary: dict[str, Term], label: str) -> str:
    """Accept "5.2" or "5.2 Classify and code"; return the code.

    A name that does not belong to the code is refused: the shared GSBPM data has a
    known mislabel ("2.1 Design frame and sample", which GSBPM 5.1 numbers 2.4).
    """
    code, _, name = value.strip().partition(" ")
    term = vocabulary.get(code)
    if term is None:
        raise ValueError(f"unknown {label} code {code!r}")
    if name and name.strip().lower() != term.name.lower():
        raise ValueError(f"{label} {code} is {term.name!r}, not {name.strip()!r}")
    return code


def all_vocabularies() -> dict[str, list[Term]]:
    """Every vocabulary as a list of terms, for the API and the web forms."""
    result: dict[str, list[Term]] = {
        "gsbpm": list(gsbpm().values()),
        "gamso": list(gamso().values()),
    }
    for name, enum in ENUMS.items():
        result[name] = [Term(code=m.value, name=m.value.replace("_", " ")) for m in enum]
    return result
