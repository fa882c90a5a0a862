# Loaded by the Python interpreters that run_eval.py starts (it puts this folder on PYTHONPATH).
# GradBench's eval harness calls pydantic 2's BaseModel.model_validate; Debian 12 ships pydantic 1.10, whose
# equivalent is parse_obj. Nothing else of pydantic 2 is used.
try:
    import pydantic

    if not hasattr(pydantic.BaseModel, "model_validate"):
        pydantic.BaseModel.model_validate = classmethod(lambda cls, obj: cls.parse_obj(obj))
except ImportError:
    pass
