import graphene

from shop.accounts import services
from shop.accounts.types import AccountErrorCode, LanguageCode, UserType
from shop.core.graphql import BaseMutation, enum_value, error_type, require_user
from shop.core.languages import request_language
from shop.core.ratelimit import client_ip

AccountError = error_type("AccountError", AccountErrorCode)


class AccountMutation(BaseMutation):
    class Meta:
        abstract = True

    error_codes = AccountErrorCode
    errors = graphene.List(graphene.NonNull(AccountError), required=True)


def _tokens_payload(cls, pair: services.TokenPair):
    """The payload of a mutation that hands out tokens: the access token, the refresh token, the user."""
    return cls(token=pair.access, refresh_token=pair.refresh, user=pair.user)


class AccountRegisterInput(graphene.InputObjectType):
    email = graphene.String(required=True)
    password = graphene.String(required=True)
    full_name = graphene.String()
    language = graphene.Field(LanguageCode)


class AccountRegister(AccountMutation):
    """Create a buyer account (email and password). Sign in with tokenCreate."""

    class Arguments:
        input = AccountRegisterInput(required=True)

    user = graphene.Field(UserType)

    @classmethod
    def perform(cls, root, info, input):
        user = services.register_account(
            email=input["email"],
            password=input["password"],
            full_name=input.get("full_name") or "",
            language=enum_value(input.get("language")) or request_language(info.context),
        )
        return cls(user=user)


class TokenCreate(AccountMutation):
    """Sign in: a short-lived access token and a refresh token."""

    class Arguments:
        email = graphene.String(required=True)
        password = graphene.String(required=True)

    token = graphene.String(description="Access token (JWT), valid for a few minutes.")
    refresh_token = graphene.String()
    user = graphene.Field(UserType)

    @classmethod
    def perform(cls, root, info, email, password):
        return _tokens_payload(cls, services.create_tokens(email=email, password=password, ip=client_ip(info.context)))


class TokenRefresh(AccountMutation):
    """Exchange a refresh token for a new access token and a new refresh token (rotation)."""

    class Arguments:
        refresh_token = graphene.String(required=True)

    token = graphene.String()
    refresh_token = graphene.String()
    user = graphene.Field(UserType)

    @classmethod
    def perform(cls, root, info, refresh_token):
        return _tokens_payload(cls, services.refresh_tokens(refresh_token=refresh_token))


class TokenVerify(AccountMutation):
    class Arguments:
        token = graphene.String(required=True)

    is_valid = graphene.Boolean(required=True)
    user = graphene.Field(UserType)

    @classmethod
    def perform(cls, root, info, token):
        user = services.verify_access_token(token=token)
        return cls(is_valid=user is not None, user=user)


class TokensDeactivateAll(AccountMutation):
    """Sign out everywhere: every access and refresh token of the caller stops working."""

    ok = graphene.Boolean()

    @classmethod
    def perform(cls, root, info):
        services.deactivate_all_tokens(user=require_user(info))
        return cls(ok=True)


class AccountUpdateInput(graphene.InputObjectType):
    full_name = graphene.String()
    language = graphene.Field(LanguageCode)


class AccountUpdate(AccountMutation):
    class Arguments:
        input = AccountUpdateInput(required=True)

    user = graphene.Field(UserType)

    @classmethod
    def perform(cls, root, info, input):
        user = services.update_account(
            user=require_user(info), full_name=input.get("full_name"), language=enum_value(input.get("language"))
        )
        return cls(user=user)


class PasswordChange(AccountMutation):
    """Change the password; every other session is signed out and fresh tokens are returned."""

    class Arguments:
        old_password = graphene.String(required=True)
        new_password = graphene.String(required=True)

    user = graphene.Field(UserType)
    token = graphene.String()
    refresh_token = graphene.String()

    @classmethod
    def perform(cls, root, info, old_password, new_password):
        return _tokens_payload(
            cls,
            services.change_password(user=require_user(info), old_password=old_password, new_password=new_password),
        )


class RequestPasswordReset(AccountMutation):
    """Email a link to set a new password. The answer is the same whether or not an account uses
    this address (nothing to learn by asking)."""

    class Arguments:
        email = graphene.String(required=True)

    @classmethod
    def perform(cls, root, info, email):
        services.request_password_reset(email=email, ip=client_ip(info.context))
        return cls()


class SetPassword(AccountMutation):
    """Set a new password with the token from a password-reset email. The token works once, and
    every session of the account is signed out; sign in again with tokenCreate."""

    class Arguments:
        token = graphene.String(required=True)
        password = graphene.String(required=True)

    user = graphene.Field(UserType)

    @classmethod
    def perform(cls, root, info, token, password):
        return cls(user=services.set_password_with_token(token=token, password=password))


class AccountMutations(graphene.ObjectType):
    account_register = AccountRegister.Field()
    token_create = TokenCreate.Field()
    token_refresh = TokenRefresh.Field()
    token_verify = TokenVerify.Field()
    tokens_deactivate_all = TokensDeactivateAll.Field()
    account_update = AccountUpdate.Field()
    password_change = PasswordChange.Field()
    request_password_reset = RequestPasswordReset.Field()
    set_password = SetPassword.Field()


class AccountQueries(graphene.ObjectType):
    me = graphene.Field(UserType, description="The signed-in user, or null.")

    def resolve_me(root, info):
        user = info.context.user
        return user if user.is_authenticated else None
