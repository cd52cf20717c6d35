// Validates FHIR R4 resources (JSON, one file per argument) with HAPI FHIR's instance validator: the base
// R4 profiles, the common code systems and value sets, in-memory terminology; no network. Prints one JSON
// line per file: {"file", "errors", "warnings", "messages": [{"severity", "location", "message"}]}.
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

public final class Validate {
  public static void main(String[] args) throws Exception {
    FhirContext ctx = FhirContext.forR4();
    ValidationSupportChain chain = new ValidationSupportChain(
        new DefaultProfileValidationSupport(ctx),
        new CommonCodeSystemsTerminologyService(ctx),
        new InMemoryTerminologyServerValidationSupport(ctx),
        new SnapshotGeneratingValidationSupport(ctx));
    FhirInstanceValidator module = new FhirInstanceValidator(chain);
    module.setAnyExtensionsAllowed(true);
    FhirValidator validator = ctx.newValidator().registerValidatorModule(module);
    for (String file : args) {
      ValidationResult result = validator.validateWithResult(Files.readString(Path.of(file)));
      int errors = 0, warnings = 0;
      StringBuilder messages = new StringBuilder();
      for (SingleValidationMessage m : result.getMessages()) {
        ResultSeverityEnum s = m.getSeverity();
        if (s == ResultSeverityEnum.ERROR || s == ResultSeverityEnum.FATAL) errors++;
        else if (s == ResultSeverityEnum.WARNING) warnings++;
        if (messages.length() > 0) messages.append(',');
        messages.append("{\"severity\":").append(json(s.getCode()))
            .append(",\"location\":").append(json(m.getLocationString()))
            .append(",\"message\":").append(json(m.getMessage())).append('}');
      }
      System.out.println("{\"file\":" + json(file) + ",\"errors\":" + errors + ",\"warnings\":" + warnings
          + ",\"messages\":[" + messages + "]}");
    }
  }

  private static String json(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
